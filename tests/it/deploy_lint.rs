//! Lints the deployment files: Kubernetes manifests against the API schemas
//! (`kubernetes-validate`, from PyPI, installed by test.sh), the compose
//! file's shape, the Dockerfile's non-root user and health check, and the
//! systemd unit.

use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[test]
fn kubernetes_manifests_match_the_api_schemas() {
    let files = [
        "deploy/kubernetes/base/configmap.yaml",
        "deploy/kubernetes/base/secret.yaml",
        "deploy/kubernetes/base/deployment.yaml",
        "deploy/kubernetes/base/service.yaml",
        "deploy/kubernetes/sidecar/kafka-with-isrwatch.yaml",
    ];
    let out = Command::new("kubernetes-validate")
        .arg("--strict")
        .args(files)
        .current_dir(ROOT)
        .output()
        .expect("kubernetes-validate is installed by test.sh (pip install kubernetes-validate)");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert_eq!(text.matches("passed").count(), 6, "{text}");
}

#[test]
fn workloads_have_probes_resources_and_run_as_non_root() {
    for f in [
        "deploy/kubernetes/base/deployment.yaml",
        "deploy/kubernetes/sidecar/kafka-with-isrwatch.yaml",
    ] {
        let text = std::fs::read_to_string(format!("{ROOT}/{f}")).unwrap();
        for needle in [
            "path: /readyz",
            "path: /healthz",
            "requests:",
            "runAsNonRoot: true",
        ] {
            assert!(text.contains(needle), "{f} lacks {needle}");
        }
    }
    let docker = std::fs::read_to_string(format!("{ROOT}/deploy/Dockerfile")).unwrap();
    assert!(
        docker.contains("USER 10001")
            && docker.contains("HEALTHCHECK")
            && docker.matches("FROM ").count() >= 2
    );
    let unit = std::fs::read_to_string(format!("{ROOT}/deploy/systemd/isrwatch.service")).unwrap();
    assert!(
        unit.contains("ExecStart=/usr/local/bin/isrwatch run --config")
            && unit.contains("User=isrwatch")
    );
}

#[test]
fn compose_file_has_three_kraft_brokers_and_the_monitoring_stack() {
    let out = Command::new("python3")
        .args([
            "-c",
            "import yaml,json,sys; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
            "deploy/compose/docker-compose.yml",
        ])
        .current_dir(ROOT)
        .output()
        .expect("python3 with PyYAML");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let services = v["services"].as_object().unwrap();
    for s in [
        "kafka-1",
        "kafka-2",
        "kafka-3",
        "isrwatch",
        "prometheus",
        "grafana",
        "alertmanager",
    ] {
        assert!(services.contains_key(s), "compose lacks {s}");
    }
    assert_eq!(
        services["kafka-2"]["environment"]["KAFKA_PROCESS_ROLES"],
        "broker,controller"
    );
}
