/*
 * Support Hub sidebar app (ticket_sidebar). Reads who the ticket is about, asks the hub for its
 * card through Zendesk's proxy, and shows the HTML the hub returns.
 *
 * Secrets: the hub token is a secure setting. This page never sees it; it sends the literal
 * placeholder below and Zendesk's proxy puts the token in its place server-side (only for
 * `secure: true` requests to a domain in the manifest's domainWhitelist).
 *
 * Markup: the page never builds markup from ticket or customer data. The hub escapes every value
 * in the card it returns; messages of this page's own are set as text.
 */
(function () {
  'use strict';

  var TOKEN_PLACEHOLDER = '{{setting.hub_token}}';
  var client = ZAFClient.init();
  var container = document.getElementById('card');
  var latestLoad = 0;

  function resize() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    client.invoke('resize', { width: '100%', height: Math.max(height, 40) + 'px' });
  }

  function showHubHtml(html) {
    container.innerHTML = html;
    container.setAttribute('aria-busy', 'false');
    resize();
  }

  function showMessage(text) {
    var paragraph = document.createElement('p');
    paragraph.className = 'zh-message';
    paragraph.textContent = text;
    container.replaceChildren(paragraph);
    container.setAttribute('aria-busy', 'false');
    resize();
  }

  /** `sidebar/zendesk` under the hub's base URL (which may carry a path prefix). */
  function cardUrl(hubUrl) {
    var base = new URL(String(hubUrl || '').trim());
    if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new Error('not an http(s) URL');
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    base.search = '';
    base.hash = '';
    return new URL('sidebar/zendesk', base).href;
  }

  function text(value) {
    return typeof value === 'string' && value.trim() !== '' ? value : null;
  }

  /** The requester's email identities, when this Zendesk exposes them to apps; none otherwise. */
  function requesterEmails() {
    return client.get('ticket.requester.identities').then(
      function (data) {
        var identities = data && data['ticket.requester.identities'];
        if (!Array.isArray(identities)) return [];
        return identities
          .filter(function (identity) { return identity && identity.type === 'email' && text(identity.value); })
          .map(function (identity) { return identity.value; });
      },
      function () { return []; },
    );
  }

  /**
   * JSON whose string values cannot spell a `{{…}}` placeholder: the proxy substitutes
   * placeholders anywhere in a secure request, so a requester named `{{setting.hub_token}}` must
   * not reach it as one. The body is a flat object, so only its first and last braces are JSON's;
   * every other brace is inside a string and is sent as a \u escape (JSON.parse restores it).
   */
  function placeholderSafeJson(payload) {
    var json = JSON.stringify(payload);
    var inner = json.slice(1, -1).replace(/[{}]/g, function (brace) { return brace === '{' ? '\\u007b' : '\\u007d'; });
    return '{' + inner + '}';
  }

  /** The hub answers errors as `{html}` too (a 401 carries a sentence for the agent). */
  function hubHtmlOf(failure) {
    if (!failure) return null;
    var body = failure.responseJSON;
    if (!body && typeof failure.responseText === 'string') {
      try {
        body = JSON.parse(failure.responseText);
      } catch (_) {
        body = null;
      }
    }
    return body && typeof body.html === 'string' ? body.html : null;
  }

  /** The agent's IANA zone: the card writes dates in it (the customer's as a hint). Optional. */
  function agentTimeZone() {
    return client.get('currentUser.timeZone').then(
      function (data) {
        var zone = data && data['currentUser.timeZone'];
        return text(zone && zone.ianaName);
      },
      function () { return null; },
    );
  }

  function load() {
    var thisLoad = ++latestLoad;
    var settings = client.metadata().then(function (metadata) { return metadata.settings; });
    var ticket = client.get(['ticket.id', 'ticket.requester.email', 'ticket.requester.name']);
    Promise.all([settings, ticket, requesterEmails(), agentTimeZone()])
      .then(function (results) {
        var url;
        try {
          url = cardUrl(results[0].hub_url);
        } catch (_) {
          throw { setup: 'The Support Hub URL in this app’s settings is not a valid http(s) URL.' };
        }
        var found = results[1];
        return client.request({
          url: url,
          type: 'POST',
          contentType: 'application/json',
          dataType: 'json',
          headers: { Authorization: 'Bearer ' + TOKEN_PLACEHOLDER },
          data: placeholderSafeJson({
            email: text(found['ticket.requester.email']),
            emails: results[2],
            name: text(found['ticket.requester.name']),
            ticketId: found['ticket.id'] == null ? null : found['ticket.id'],
            agentTimeZone: results[3],
          }),
          secure: true,
          cors: false,
        });
      })
      .then(
        function (answer) {
          if (thisLoad !== latestLoad) return;
          var body = typeof answer === 'string' ? JSON.parse(answer) : answer;
          if (body && typeof body.html === 'string') showHubHtml(body.html);
          else showMessage('Support Hub sent an answer this app does not understand.');
        },
        function (failure) {
          if (thisLoad !== latestLoad) return;
          if (failure && failure.setup) return showMessage(failure.setup);
          var html = hubHtmlOf(failure);
          if (html) return showHubHtml(html);
          var status = failure && failure.status ? ' (HTTP ' + failure.status + ')' : '';
          showMessage('Support Hub could not be reached' + status + '. Check the hub URL in this app’s settings and that its domain is in domainWhitelist.');
        },
      );
  }

  client.on('ticket.requester.id.changed', load);
  load();
})();
