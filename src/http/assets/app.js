// isrwatch status page: live refresh. Every few seconds (the page's
// data-refresh-ms, the poll interval) it fetches /live with the page's query,
// the server-rendered <main id="live">, and swaps it in. The HTML is
// rendered and escaped by the server; DOMParser never runs scripts. Open
// <details> stay open.
(function () {
  'use strict';
  var live = document.getElementById('live');
  if (!live || !window.fetch || !window.DOMParser) {
    return;
  }
  var every = parseInt(live.getAttribute('data-refresh-ms'), 10) || 5000;
  var status = document.getElementById('refresh-status');
  var refreshes = 0;

  function say(text, failed) {
    if (!status) {
      return;
    }
    status.textContent = text;
    status.className = failed ? 'failed' : '';
  }

  function openDetails(root) {
    var ids = {};
    var list = root.querySelectorAll('details[id]');
    for (var i = 0; i < list.length; i++) {
      ids[list[i].id] = list[i].open;
    }
    return ids;
  }

  function tick() {
    // The same query as the page (?cluster=NAME shows one cluster).
    fetch('/live' + window.location.search, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) {
        if (!r.ok) {
          throw new Error('HTTP ' + r.status + (r.status === 401 ? ': reload the page and log in' : ''));
        }
        return r.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, 'text/html');
        var next = doc.getElementById('live');
        if (!next) {
          throw new Error('unexpected answer');
        }
        var wasOpen = openDetails(live);
        var list = next.querySelectorAll('details[id]');
        for (var i = 0; i < list.length; i++) {
          if (Object.prototype.hasOwnProperty.call(wasOpen, list[i].id)) {
            list[i].open = wasOpen[list[i].id];
          }
        }
        refreshes += 1;
        next.setAttribute('data-refreshes', String(refreshes));
        next = document.importNode(next, true);
        live.parentNode.replaceChild(next, live);
        live = next;
        say('live · updated ' + new Date().toLocaleTimeString());
      })
      .catch(function (e) {
        say('live refresh failed (' + e.message + '), retrying', true);
      })
      .then(function () {
        window.setTimeout(tick, every);
      });
  }

  say('live · refreshing every ' + Math.round(every / 1000) + ' s');
  window.setTimeout(tick, every);
})();
