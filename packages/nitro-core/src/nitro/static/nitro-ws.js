// Nitro's WebSocket transport for Datastar pages (docs/websockets.md).
//
// One socket per page, opened on first use at the path in this script's
// data-nitro-ws attribute. Live streams and actions travel as JSON frames; the
// server's frames carry the same SSE text as the SSE endpoints, which is handed to
// Datastar exactly as its own fetch does: a "datastar-fetch" CustomEvent on document,
// {type: <SSE event name>, el, argsRaw: {<data key>: <lines joined by \n>}}, which
// Datastar's watchers (datastar-patch-elements, datastar-patch-signals) apply.
// On a lost connection it reconnects with backoff and subscribes again; each stream
// starts with the whole state, so the page is correct again.
(function () {
  "use strict";
  if (window.nitroWs) return;
  var script = document.currentScript;
  var path = (script && script.getAttribute("data-nitro-ws")) || "/_ws";
  var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
  var FETCH = "datastar-fetch";
  var PING_EVERY = 20000, DEAD_AFTER = 50000, MAX_WAIT = 30000;

  var socket = null, nextId = 1, attempts = 0, retry = null, lastSeen = 0;
  var subscriptions = new Map(); // path -> {id, path, el}
  var pending = new Map(); // id -> subscription or {action: true, el}
  var outbox = []; // frames waiting for the socket to open

  function dispatch(type, el, argsRaw) {
    document.dispatchEvent(
      new CustomEvent(FETCH, { detail: { type: type, el: el, argsRaw: argsRaw } })
    );
  }

  // Parse SSE text as Datastar parses a response body, then dispatch each event.
  function feed(text, el) {
    var blocks = text.split("\n\n");
    for (var b = 0; b < blocks.length; b++) {
      var name = "", data = {};
      var lines = blocks[b].split("\n");
      for (var i = 0; i < lines.length; i++) {
        var line = lines[i];
        var colon = line.indexOf(":");
        if (colon <= 0) continue; // blank line or comment (keepalive)
        var field = line.slice(0, colon), value = line.slice(colon + 1);
        if (value.charAt(0) === " ") value = value.slice(1);
        if (field === "event") name = value;
        else if (field === "data") {
          var space = value.indexOf(" ");
          var key = value.slice(0, space);
          (data[key] = data[key] || []).push(value.slice(space + 1));
        }
      }
      if (name.indexOf("datastar") !== 0) continue;
      var args = {};
      for (var k in data) args[k] = data[k].join("\n");
      dispatch(name, el, args);
    }
  }

  function isOpen() {
    return socket !== null && socket.readyState === WebSocket.OPEN;
  }

  // Local signals (a "_" segment) stay in the page, as with Datastar's @post.
  function withoutLocal(key, value) {
    return key && key.charAt(0) === "_" ? undefined : value;
  }

  function send(message) {
    var text = JSON.stringify(message, withoutLocal);
    if (isOpen()) socket.send(text);
    else {
      outbox.push(text);
      connect();
    }
  }

  function connect() {
    if (socket !== null || retry !== null) return;
    socket = new WebSocket(url);
    socket.onopen = function () {
      attempts = 0;
      lastSeen = Date.now();
      subscriptions.forEach(function (sub) {
        socket.send(JSON.stringify({ id: sub.id, subscribe: sub.path }));
      });
      var waiting = outbox;
      outbox = [];
      waiting.forEach(function (text) { socket.send(text); });
    };
    socket.onmessage = function (message) {
      lastSeen = Date.now();
      var frame;
      try { frame = JSON.parse(message.data); } catch (e) { return; }
      receive(frame);
    };
    socket.onclose = function () {
      socket = null;
      // Actions sent but unanswered may have run: they are not sent again.
      pending.forEach(function (entry, id) {
        if (entry.action) {
          dispatch("finished", entry.el, {});
          pending.delete(id);
        }
      });
      var wait = Math.min(MAX_WAIT, 500 * Math.pow(2, attempts++));
      retry = setTimeout(function () {
        retry = null;
        if (subscriptions.size || outbox.length) connect();
      }, wait * (0.5 + Math.random() / 2));
    };
  }

  function receive(frame) {
    if (frame.pong) return;
    var entry = pending.get(frame.id);
    var el = entry && entry.el && entry.el.isConnected ? entry.el : document.documentElement;
    if (typeof frame.sse === "string") feed(frame.sse, el);
    if (frame.error) {
      dispatch("error", el, { status: String(frame.status) });
      console.warn("nitro websocket:", frame.status, frame.error);
    }
    if (!frame.end || !entry) return;
    if (entry.action) {
      pending.delete(frame.id);
      dispatch("finished", el, {});
    } else if (frame.status === 503) {
      setTimeout(function () {
        if (subscriptions.get(entry.path) === entry && isOpen()) {
          socket.send(JSON.stringify({ id: entry.id, subscribe: entry.path }));
        }
      }, 5000);
    } else { // the stream ended (entity deleted) or was refused
      pending.delete(frame.id);
      if (subscriptions.get(entry.path) === entry) subscriptions.delete(entry.path);
    }
  }

  function subscribe(streamPath, el) {
    if (subscriptions.has(streamPath)) return;
    var sub = { id: nextId++, path: streamPath, el: el };
    subscriptions.set(streamPath, sub);
    pending.set(sub.id, sub);
    if (isOpen()) socket.send(JSON.stringify({ id: sub.id, subscribe: streamPath }));
    else connect();
  }

  function unsubscribe(streamPath) {
    var sub = subscriptions.get(streamPath);
    if (!sub) return;
    subscriptions.delete(streamPath);
    pending.delete(sub.id);
    if (isOpen()) socket.send(JSON.stringify({ id: nextId++, unsubscribe: sub.id }));
  }

  function action(el, method, actionPath, signals) {
    var id = nextId++;
    pending.set(id, { action: true, el: el });
    dispatch("started", el, {});
    send({ id: id, action: { method: method, path: actionPath, signals: signals || {} } });
  }

  // Browsers expose no WebSocket pings: the page pings, and a socket silent for too
  // long (a dead network path) is closed and reopened.
  setInterval(function () {
    if (!isOpen()) return;
    if (Date.now() - lastSeen > DEAD_AFTER) socket.close();
    else socket.send(JSON.stringify({ ping: true }));
  }, PING_EVERY);

  window.nitroWs = {
    subscribe: subscribe,
    unsubscribe: unsubscribe,
    action: action,
    isOpen: isOpen,
  };
})();
