/*
 * dj-plaid's Link helper: opens Plaid Link with a token from dj-plaid's REST API and
 * hands the result back to it. No build step, no dependency. Load it after Link:
 *
 *   {% load plaid static %}{% plaid_link_script %}
 *   <script src="{% static 'django_plaid/link.js' %}"></script>
 *
 * DjangoPlaid.createLink(options) -> {open(), destroy()}; see docs/link.md.
 * It never writes a token to the console.
 */
(function (global) {
  "use strict";

  const NOOP = function () {};

  // A callback of the page must not break the flow: its exception surfaces on its own.
  function call(callback, ...args) {
    try {
      callback(...args);
    } catch (exception) {
      setTimeout(function () { throw exception; });
    }
  }

  function cookie(name) {
    const prefix = name + "=";
    for (const part of document.cookie ? document.cookie.split(";") : []) {
      const entry = part.trim();
      if (entry.startsWith(prefix)) return decodeURIComponent(entry.slice(prefix.length));
    }
    return null;
  }

  // Django's CSRF token: the csrftoken cookie, else {% csrf_token %}'s input or a meta tag.
  function findCsrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    const meta = document.querySelector("meta[name=csrf-token]");
    return cookie("csrftoken") || (input && input.value) || (meta && meta.content) || null;
  }

  // DRF's field errors, nested or not, as "field: message" lines.
  function fieldMessages(value, path) {
    if (Array.isArray(value)) {
      return value.flatMap(function (v) { return fieldMessages(v, path); });
    }
    if (value && typeof value === "object") {
      return Object.keys(value).flatMap(function (key) {
        return fieldMessages(value[key], path ? path + "." + key : key);
      });
    }
    return [(path ? path + ": " : "") + value];
  }

  // dj-plaid's error bodies: Plaid's fields, DRF's {"detail"}, or field -> messages.
  function apiError(status, body) {
    const error = body && typeof body === "object" && !Array.isArray(body) ? body : {};
    let message = error.error_message || error.detail;
    if (!message && Object.keys(error).length) message = fieldMessages(error, "").join("; ");
    return {
      status: status,
      error_type: error.error_type || null,
      error_code: error.error_code || null,
      error_message: message || "HTTP " + status,
      display_message: error.display_message || null,
      body: body === undefined ? null : body,
    };
  }

  function networkError(exception) {
    return {
      status: 0,
      error_type: null,
      error_code: "NETWORK_ERROR",
      error_message: String((exception && exception.message) || exception),
      display_message: null,
      body: null,
    };
  }

  function linkError(code, message) {
    return {
      status: 0,
      error_type: null,
      error_code: code,
      error_message: message,
      display_message: null,
      body: null,
    };
  }

  function createLink(options) {
    const settings = Object.assign({
      apiBase: "/plaid/",
      itemId: null,
      products: undefined,
      headers: {},
      csrfToken: undefined,
      onItem: NOOP,
      onError: NOOP,
      onExit: NOOP,
      onEvent: NOOP,
      reportEvents: true,
    }, options || {});
    const base = settings.apiBase.endsWith("/") ? settings.apiBase : settings.apiBase + "/";
    const itemPath = settings.itemId ? "items/" + encodeURIComponent(settings.itemId) + "/" : null;
    let handler = null;
    let pending = null;
    let finish = NOOP;
    let opening = 0; // counts open() and destroy(): a stale start() stops there

    function headers(method) {
      const all = {Accept: "application/json"};
      if (method !== "GET") {
        all["Content-Type"] = "application/json";
        const csrf = settings.csrfToken === undefined ? findCsrfToken() : settings.csrfToken;
        if (csrf) all["X-CSRFToken"] = csrf;
      }
      return Object.assign(all, settings.headers);
    }

    // Resolves with the JSON body of a 2xx answer; rejects with the error object.
    async function request(method, path, body, extra) {
      let response;
      try {
        response = await fetch(base + path, Object.assign({
          method: method,
          headers: headers(method),
          credentials: "same-origin",
          body: body === undefined ? undefined : JSON.stringify(body),
        }, extra));
      } catch (exception) {
        throw networkError(exception);
      }
      let data = null;
      try {
        data = await response.json();
      } catch (exception) {
        data = null; // an empty or HTML answer (a proxy's error page)
      }
      if (!response.ok) throw apiError(response.status, data);
      return data;
    }

    // Fire and forget: a lost report never blocks nor fails the flow.
    function report(eventName, error, metadata) {
      if (!settings.reportEvents) return;
      const body = {event_name: eventName, error: error || null, metadata: metadata || {}};
      if (settings.itemId) body.item_id = settings.itemId;
      request("POST", "link-events/", body, {keepalive: true}).catch(NOOP);
    }

    async function onSuccess(publicToken, metadata, linkToken) {
      try {
        let item;
        if (itemPath) {
          // Update mode: the access token does not change, so nothing is exchanged.
          await request("POST", itemPath + "update-complete/", {});
          item = await request("GET", itemPath);
        } else {
          item = await request("POST", "exchange/", {
            public_token: publicToken,
            metadata: metadata,
            link_token: linkToken,
          });
        }
        call(settings.onItem, item, metadata);
        finish(item);
      } catch (error) {
        call(settings.onError, error);
        finish(null);
      }
    }

    async function start(current) {
      let linkToken;
      try {
        const body = {};
        if (settings.itemId) body.item_id = settings.itemId;
        if (settings.products) body.products = settings.products;
        linkToken = (await request("POST", "link-token/", body)).link_token;
      } catch (error) {
        if (current !== opening) return;
        call(settings.onError, error);
        return finish(null);
      }
      if (current !== opening) return; // destroyed while the token was on its way
      if (!global.Plaid || typeof global.Plaid.create !== "function") {
        call(settings.onError, linkError("LINK_NOT_LOADED", "Plaid Link's script is not loaded."));
        return finish(null);
      }
      if (handler) handler.destroy(); // one handler per token: the last open's is done
      handler = global.Plaid.create({
        token: linkToken,
        onSuccess: function (publicToken, metadata) {
          onSuccess(publicToken, metadata, linkToken);
        },
        onExit: function (error, metadata) {
          report("EXIT", error, metadata);
          call(settings.onExit, error, metadata);
          finish(null);
        },
        onEvent: function (eventName, metadata) {
          // EXIT comes with onExit too, which has the error: it is reported there.
          if (eventName === "ERROR") report(eventName, null, metadata);
          call(settings.onEvent, eventName, metadata);
        },
      });
      handler.open();
    }

    return {
      /** Open Link; resolves with the Item, or null on exit or error. Never rejects. */
      open: function () {
        if (pending) return pending;
        pending = new Promise(function (resolve) {
          finish = function (result) {
            pending = null;
            finish = NOOP;
            resolve(result);
          };
        });
        const result = pending;
        start(++opening).catch(function (exception) {
          // Plaid.create or open() threw: report it like any failure, never reject.
          const message = String((exception && exception.message) || exception);
          call(settings.onError, linkError("LINK_ERROR", message));
          finish(null);
        });
        return result;
      },
      /** Close Link if it is open and forget it; a pending open() resolves with null. */
      destroy: function () {
        opening += 1;
        if (handler) {
          handler.destroy();
          handler = null;
        }
        finish(null);
      },
    };
  }

  global.DjangoPlaid = {createLink: createLink};
})(window);
