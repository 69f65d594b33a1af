// OpsAgent dashboard: the only script the pages load (the CSP forbids inline scripts). It never turns text into
// markup itself: live regions are replaced with HTML the server rendered and escaped.
'use strict';

(function () {
  var NAME_KEY = 'opsagent.decider-name';
  var POLL_MS = 5000;

  function relative(ms, now) {
    var s = Math.round((now - ms) / 1000);
    var future = s < 0;
    var a = Math.abs(s);
    var t = a < 60 ? a + 's' : a < 3600 ? Math.floor(a / 60) + 'm' : a < 86400 ? Math.floor(a / 3600) + 'h' : Math.floor(a / 86400) + 'd';
    return future ? 'in ' + t : t + ' ago';
  }

  function duration(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return s + 's';
    var m = Math.floor(s / 60);
    if (m < 60) return m + 'm ' + (s % 60) + 's';
    return Math.floor(m / 60) + 'h ' + (m % 60) + 'm';
  }

  function refreshTimes() {
    var now = Date.now();
    document.querySelectorAll('time[data-ts]').forEach(function (el) {
      var ts = Number(el.getAttribute('data-ts'));
      if (Number.isFinite(ts)) el.textContent = relative(ts, now);
    });
  }

  function refreshCountdowns() {
    var now = Date.now();
    document.querySelectorAll('.countdown[data-expires]').forEach(function (el) {
      var left = Number(el.getAttribute('data-expires')) - now;
      if (!Number.isFinite(left)) return;
      if (left > 0) {
        el.textContent = duration(left);
        return;
      }
      el.textContent = 'expired';
      el.classList.add('expired');
      var card = el.closest('.approval');
      if (card) card.querySelectorAll('button').forEach(function (b) { b.disabled = true; });
    });
  }

  // A region is not replaced while someone is filling in one of its forms (a name, a reason to reject).
  function beingEdited(el) {
    var active = document.activeElement;
    if (active && el.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName)) return true;
    return Array.prototype.some.call(el.querySelectorAll('input:not([type=hidden]):not(.remember-name), textarea'), function (f) {
      return f.value !== f.defaultValue;
    });
  }

  var lastBodies = new WeakMap();
  function poll(el) {
    if (document.hidden || beingEdited(el)) return;
    var url = el.getAttribute('data-live');
    if (!url || url.charAt(0) !== '/') return;
    fetch(url, { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (res) {
        if (res.status === 401) {
          window.location.assign('/login');
          return undefined;
        }
        return res.ok ? res.text() : undefined;
      })
      .then(function (text) {
        if (text === undefined || lastBodies.get(el) === text) return;
        lastBodies.set(el, text);
        var openDetails = Array.prototype.map.call(el.querySelectorAll('details[open]'), function (d) {
          var owner = d.closest('[data-action-id]');
          return owner ? owner.getAttribute('data-action-id') : '';
        });
        var tpl = document.createElement('template');
        tpl.innerHTML = text;
        el.replaceChildren(tpl.content);
        openDetails.forEach(function (id) {
          el.querySelectorAll('[data-action-id]').forEach(function (owner) {
            if (owner.getAttribute('data-action-id') === id) {
              var d = owner.querySelector('details');
              if (d) d.open = true;
            }
          });
        });
        el.setAttribute('data-updated', String(Date.now()));
        rememberNames(el);
        refreshTimes();
        refreshCountdowns();
      })
      .catch(function () {
        el.setAttribute('data-stale', 'true'); // the agent may be restarting; the next poll retries
      });
  }

  function rememberNames(root) {
    var saved = '';
    try { saved = window.localStorage.getItem(NAME_KEY) || ''; } catch (e) { saved = ''; }
    root.querySelectorAll('input.remember-name').forEach(function (input) {
      if (!input.value) input.value = saved;
    });
    root.querySelectorAll('form').forEach(function (form) {
      form.addEventListener('submit', function () {
        var input = form.querySelector('input.remember-name');
        if (input && input.value) {
          try { window.localStorage.setItem(NAME_KEY, input.value); } catch (e) { /* private mode: not remembered */ }
        }
      });
    });
  }

  function start() {
    rememberNames(document);
    refreshTimes();
    refreshCountdowns();
    setInterval(refreshTimes, 10000);
    setInterval(refreshCountdowns, 1000);
    document.querySelectorAll('[data-live]').forEach(function (el) {
      setInterval(function () { poll(el); }, POLL_MS);
    });
    document.documentElement.setAttribute('data-js', 'ready');
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
