// Support Hub dashboard: live updates of the escalation queue over server-sent events. Everything
// else is plain links and forms, so the dashboard works without this script.
(() => {
  'use strict';
  const queue = document.getElementById('queue');
  const status = document.getElementById('live-status');
  if (!queue || !status || !('EventSource' in window)) return;

  let refreshing = null;
  const refresh = () => {
    refreshing ??= fetch(queue.dataset.liveSource, { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(async (response) => {
        // Logged out meanwhile (the fetch followed a redirect to the login page): keep what is shown.
        if (!response.ok || response.redirected) return false;
        const html = await response.text();
        queue.innerHTML = html; // server-rendered and escaped by the same templates as the page
        return true;
      })
      .catch(() => false)
      .finally(() => (refreshing = null));
    return refreshing;
  };

  const source = new EventSource('/dashboard/events');
  let connectedOnce = false;
  source.addEventListener('open', () => {
    status.textContent = 'Live: new escalations appear here without reloading.';
    // Anything that changed between rendering the page and connecting.
    if (!connectedOnce) void refresh();
    connectedOnce = true;
  });
  source.addEventListener('escalations', (event) => {
    void refresh().then((ok) => {
      if (!ok) return;
      let waiting = null;
      try {
        waiting = JSON.parse(event.data).waiting;
      } catch {}
      const time = new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
      status.textContent = `Updated at ${time}${waiting === null ? '' : `: ${waiting} open escalation${waiting === 1 ? '' : 's'}`}.`;
      queue.dataset.updated = String(Date.now());
    });
  });
  source.addEventListener('error', () => {
    status.textContent = 'Live updates paused; reconnecting…';
  });
})();
