/* Plaid Link simulator (dj-plaid's Plaid emulator): window.Plaid.create, as Plaid's web SDK.
 * open() shows the emulator's Link in a full-screen iframe; the iframe posts the callbacks
 * back here, and only messages from that iframe are believed. */
(function () {
  "use strict";
  var script = document.currentScript;
  // The emulator is wherever this script came from.
  var base = new URL(script && script.src ? script.src : "link-initialize.js", location.href);
  var emulator = base.origin;

  function create(config) {
    config = config || {};
    function callback(name) {
      return typeof config[name] === "function" ? config[name] : function () {};
    }
    var overlay = null;
    var frame = null;
    var savedOverflow = "";
    var ready = false;
    var pending = null;

    function send(message) {
      // Until Link says it is ready, its window may still be the blank page being replaced.
      if (!ready) pending = message;
      else if (frame && frame.contentWindow) frame.contentWindow.postMessage(message, emulator);
    }
    function onKey(event) {
      // Escape closes Link even while focus is still on the page.
      if (event.key === "Escape") send({ plaidLinkSimulator: 1, type: "exit", force: true });
    }
    function teardown() {
      window.removeEventListener("message", onMessage);
      document.removeEventListener("keydown", onKey);
      if (overlay && overlay.parentNode) {
        overlay.parentNode.removeChild(overlay);
        document.body.style.overflow = savedOverflow;
      }
      overlay = frame = pending = null;
      ready = false;
    }
    function onMessage(event) {
      if (!frame || event.source !== frame.contentWindow || event.origin !== emulator) return;
      var message = event.data;
      if (!message || message.plaidLinkSimulator !== 1) return;
      if (message.type === "ready") {
        ready = true;
        frame.focus();
        if (pending) send(pending);
        pending = null;
      }
      else if (message.type === "event") callback("onEvent")(message.eventName, message.metadata);
      else if (message.type === "success") {
        teardown();
        callback("onSuccess")(message.publicToken, message.metadata);
      } else if (message.type === "exit") {
        teardown();
        callback("onExit")(message.error, message.metadata);
      }
    }

    var handler = {
      open: function () {
        if (overlay) return;
        var query = new URLSearchParams({
          token: typeof config.token === "string" ? config.token : "",
          origin: location.origin,
        });
        overlay = document.createElement("div");
        overlay.setAttribute("data-plaid-link-simulator", "");
        overlay.style.cssText = "position:fixed;inset:0;z-index:2147483647;";
        frame = document.createElement("iframe");
        frame.title = "Plaid Link";
        frame.src = new URL("link.html", base).href + "?" + query;
        frame.style.cssText = "border:0;width:100%;height:100%;display:block;background:transparent;";
        overlay.appendChild(frame);
        window.addEventListener("message", onMessage);
        document.addEventListener("keydown", onKey);
        savedOverflow = document.body.style.overflow;
        document.body.style.overflow = "hidden";
        document.body.appendChild(overlay);
      },
      exit: function (options) {
        send({ plaidLinkSimulator: 1, type: "exit", force: !!(options && options.force) });
      },
      destroy: teardown,
      // Plaid's submit() feeds Layer/phone-number flows, which the simulator does not have.
      submit: function () {},
    };
    // Plaid calls onLoad once Link's code has loaded; the simulator's loads on open().
    setTimeout(function () {
      callback("onLoad")();
    }, 0);
    return handler;
  }

  window.Plaid = { create: create, version: "dj-plaid-emulator" };
})();
