/*
 * dj-plaid demo: the reference client of dj-plaid's REST API.
 *
 * Web and mobile teams can read this file as a worked example of every call an app makes:
 *
 *   Link a bank       DjangoPlaid.createLink(...)   link-token/, Plaid Link, exchange/
 *   List banks        GET    items/                 each Item with its accounts and balances
 *   Repair a bank     DjangoPlaid.createLink({itemId})  link-token/ {item_id}, Link in
 *                                                   update mode, items/<id>/update-complete/
 *   Remove a bank     DELETE items/<id>/            204
 *   Sync now          POST   items/<id>/sync/       202; the data changes later
 *   Live balances     POST   items/<id>/refresh-balances/, then GET accounts/?item_id=<id>
 *   Transactions      GET    transactions/?page_size=&account_id=   {next, results}: follow
 *                                                   `next` (a cursor) for older pages
 *
 * Conventions worth copying:
 * - Session authentication: every POST and DELETE sends Django's CSRF token (the
 *   csrftoken cookie) in X-CSRFToken. A token-auth client sends Authorization instead.
 * - Errors are JSON. Plaid's (and dj-plaid's own, such as 409 DUPLICATE_ITEM) carry
 *   error_type, error_code, error_message, display_message and request_id: show
 *   display_message to users when there is one, branch on error_code, never parse
 *   error_message. Bad input is DRF's {"field": ["message"]} or {"detail": "..."}.
 * - Webhooks change the data behind the app's back (new transactions, an Item that needs
 *   a login): the page polls items/ and the first page of transactions/ every few seconds
 *   while it is visible, faster right after a link until the first transactions arrive.
 *   A mobile app would refresh on resume and on a push instead.
 * - The API never returns an access token, and this page never sees one.
 *
 * Plain ES2017, no build step, no dependency; the DOM is built with createElement and
 * textContent only (nothing from the API is ever parsed as HTML).
 */
(function () {
  "use strict";

  var root = document.getElementById("plaid-demo");
  if (!root) return;

  var API = root.getAttribute("data-api-base") || "/plaid/";
  var POLL_MS = 5000; // while the page is visible
  var FAST_POLL_MS = 1500; // after a link or an action, until its effect shows
  var FAST_POLL_FOR_MS = 60000;
  var PAGE_SIZE = 25;

  var STATUS = {
    healthy: { label: "Connected", tone: "ok" },
    login_required: { label: "Needs login", tone: "warn" },
    pending_expiration: { label: "Consent expiring", tone: "warn" },
    pending_disconnect: { label: "Disconnecting soon", tone: "warn" },
    revoked: { label: "Access revoked", tone: "bad" },
    error: { label: "Error", tone: "bad" },
  };
  // Statuses that update mode (Reconnect) repairs.
  var RECONNECTABLE = ["login_required", "pending_expiration", "pending_disconnect"];

  var state = {
    items: null, // the last GET items/ body
    itemsJson: "",
    transactions: [], // rows shown, newest first
    transactionsJson: "",
    next: null, // the `next` URL of the last page shown
    pagesShown: 0,
    accountFilter: "",
    fastUntil: 0,
    awaitingTransactions: null, // item_id linked just now, until its transactions arrive
    linking: false,
    busy: {}, // "<item_id>:<action>" -> true while a request runs
    highlight: null, // {itemId, until}: the Item a duplicate link matched
    linkedMessage: null, // what the last link said, until its transactions arrive
    lastUpdated: null,
    offline: false,
  };

  var el = {
    notice: document.getElementById("notice"),
    alert: document.getElementById("alert"),
    items: document.getElementById("items"),
    itemsSummary: document.getElementById("items-summary"),
    linkButton: document.getElementById("link-button"),
    transactions: document.getElementById("transactions"),
    transactionsSummary: document.getElementById("transactions-summary"),
    moreButton: document.getElementById("more-button"),
    accountFilter: document.getElementById("account-filter"),
    lastUpdated: document.getElementById("last-updated"),
    removeDialog: document.getElementById("remove-dialog"),
    removeText: document.getElementById("remove-text"),
  };

  // ---------------------------------------------------------------------------------------
  // The API client
  // ---------------------------------------------------------------------------------------

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  /** An error answered by the API (or a network failure, status 0), in Plaid's shape. */
  function ApiError(status, body) {
    var b = body && typeof body === "object" ? body : {};
    this.name = "ApiError";
    this.status = status;
    this.body = body;
    this.error_type = b.error_type || null;
    this.error_code = b.error_code || null;
    this.error_message = b.error_message || null;
    this.display_message = b.display_message || null;
    this.request_id = b.request_id || null;
    this.message = describeError(this);
  }
  ApiError.prototype = Object.create(Error.prototype);

  /**
   * Calls the API: `path` is relative to API (such as "items/") or a URL the API gave
   * (a `next` link). Resolves with the parsed JSON (null for 204), rejects with ApiError.
   */
  function api(path, options) {
    options = options || {};
    var method = options.method || "GET";
    var url = /^https?:|^\//.test(path) ? sameOrigin(path) : API + path;
    var headers = { Accept: "application/json" };
    var init = { method: method, headers: headers, credentials: "same-origin" };
    if (method !== "GET") {
      headers["X-CSRFToken"] = csrfToken();
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.body || {});
    }
    return fetch(url, init).then(
      function (response) {
        if (response.status === 204) return null;
        return response.text().then(function (text) {
          var body = null;
          try {
            body = text ? JSON.parse(text) : null;
          } catch (e) {
            body = { detail: "The server answered " + response.status + " without JSON." };
          }
          if (!response.ok) throw new ApiError(response.status, body);
          return body;
        });
      },
      function () {
        throw new ApiError(0, {
          error_code: "NETWORK_ERROR",
          display_message: "The server could not be reached. Check your connection.",
        });
      }
    );
  }

  // `next` is an absolute URL built by the server; keep the path so that a proxy or a
  // different host name in front of the site does not matter.
  function sameOrigin(url) {
    var parsed = new URL(url, window.location.href);
    return parsed.pathname + parsed.search;
  }

  /** One line for people: display_message first, then DRF's messages, then the code. */
  function describeError(error) {
    if (!error) return "Something went wrong.";
    if (error.display_message) return error.display_message;
    var body = error.body && typeof error.body === "object" ? error.body : {};
    if (error.error_message) return error.error_message;
    if (typeof body.detail === "string") return body.detail;
    var fields = Object.keys(body).filter(function (key) {
      return ["status", "body"].indexOf(key) < 0;
    });
    if (fields.length && !error.error_code) {
      return fields
        .map(function (key) {
          return key + ": " + flatten(body[key]).join(" ");
        })
        .join("; ");
    }
    if (error.error_code) return "Plaid answered " + error.error_code + ".";
    if (error.status === 0) return "The server could not be reached.";
    return "The server answered " + error.status + ".";
  }

  function flatten(value) {
    if (value == null) return [];
    if (Array.isArray(value)) return value.reduce((all, v) => all.concat(flatten(v)), []);
    if (typeof value === "object") {
      return Object.keys(value).reduce((all, k) => all.concat(flatten(value[k])), []);
    }
    return [String(value)];
  }

  // ---------------------------------------------------------------------------------------
  // DOM helpers
  // ---------------------------------------------------------------------------------------

  /** h("button", {class: "x", onclick: f}, "text", child) -> the element. */
  function h(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value == null || value === false) return;
      if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
      else if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : value);
    });
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }

  function append(node, child) {
    if (child == null || child === false) return;
    if (Array.isArray(child)) child.forEach((c) => append(node, c));
    else node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }

  /** Replace a container's children, keeping the focus on the element with the same key. */
  function replaceChildren(container, children) {
    var active = document.activeElement;
    var key = active && container.contains(active) ? active.getAttribute("data-key") : null;
    container.textContent = "";
    append(container, children);
    if (key) {
      var again = container.querySelector('[data-key="' + cssEscape(key) + '"]');
      if (again) again.focus();
    }
  }

  function cssEscape(value) {
    return window.CSS && CSS.escape ? CSS.escape(value) : value.replace(/["\\]/g, "\\$&");
  }

  var noticeTimer = null;

  function notify(message) {
    clearTimeout(noticeTimer);
    el.notice.textContent = message;
    el.notice.hidden = false;
    noticeTimer = setTimeout(function () {
      el.notice.hidden = true;
    }, 12000);
  }

  /**
   * Shows an error in the alert region (role=alert: screen readers announce it). `error`
   * is an ApiError, the helper's onError object, or Link's onExit error: the same keys.
   */
  function showError(title, error, extra) {
    var message = describeError(error);
    var code = error && error.error_code;
    var reference = error && (error.request_id || (extra && extra.link_session_id));
    var dismiss = h("button", {
      type: "button",
      class: "alert-dismiss",
      "aria-label": "Dismiss",
      onclick: function () {
        el.alert.hidden = true;
        el.linkButton.focus();
      },
      text: "×",
    });
    replaceChildren(el.alert, [
      h("div", { class: "alert-body" },
        h("strong", { class: "alert-title", text: title }),
        h("p", { class: "alert-message", text: message }),
        code || reference
          ? h("p", { class: "alert-meta" },
              code ? h("code", { class: "error-code", text: code }) : null,
              reference ? " Reference for support: " : null,
              reference ? h("code", { text: reference }) : null)
          : null),
      dismiss,
    ]);
    el.alert.hidden = false;
  }

  function clearError() {
    el.alert.hidden = true;
  }

  function money(amount, account) {
    if (amount == null) return "—";
    var code = account && (account.iso_currency_code || account.unofficial_currency_code);
    try {
      return new Intl.NumberFormat(undefined, { style: "currency", currency: code || "USD" })
        .format(amount);
    } catch (e) {
      // An unofficial currency (a crypto code, say) is not one Intl knows.
      return amount.toFixed(2) + " " + code;
    }
  }

  function dateOnly(iso) {
    // "2026-08-31" is a calendar date: format it without moving it to another time zone.
    var parts = String(iso).split("-").map(Number);
    var date = new Date(Date.UTC(parts[0], parts[1] - 1, parts[2]));
    return new Intl.DateTimeFormat(undefined, {
      month: "short", day: "numeric", year: "numeric", timeZone: "UTC",
    }).format(date);
  }

  function dateTime(iso) {
    if (!iso) return "never";
    return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" })
      .format(new Date(iso));
  }

  var ACRONYMS = { cd: "CD", hsa: "HSA", ira: "IRA", "401k": "401(k)", "403b": "403(b)" };

  function words(code) {
    // FOOD_AND_DRINK -> Food and drink; an account subtype "hsa" -> HSA
    var text = String(code || "").toLowerCase().replace(/_/g, " ");
    if (ACRONYMS[text]) return ACRONYMS[text];
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  // ---------------------------------------------------------------------------------------
  // Items, accounts, balances
  // ---------------------------------------------------------------------------------------

  function allAccounts() {
    var accounts = {};
    (state.items || []).forEach(function (item) {
      (item.accounts || []).forEach(function (account) {
        accounts[account.account_id] = Object.assign({ institution: item.institution_name },
          account);
      });
    });
    return accounts;
  }

  function renderItems() {
    var items = state.items || [];
    el.items.setAttribute("aria-busy", "false");
    var accounts = items.reduce((n, item) => n + (item.accounts || []).length, 0);
    el.itemsSummary.textContent = items.length
      ? items.length + (items.length === 1 ? " bank, " : " banks, ") + accounts +
        (accounts === 1 ? " account." : " accounts.")
      : "No bank linked yet.";
    if (!items.length) {
      replaceChildren(el.items, h("div", { class: "empty" },
        h("p", { class: "empty-title", text: "Link your first bank" }),
        h("p", { class: "muted", text:
          "Choose your bank and sign in with Plaid. Your accounts and balances appear here, " +
          "and your transactions a moment later." })));
    } else {
      replaceChildren(el.items, items.map(renderItem));
    }
    renderAccountFilter();
  }

  function renderItem(item) {
    var id = item.item_id;
    var status = STATUS[item.status] || { label: item.status, tone: "bad" };
    var name = item.institution_name || "Unknown bank";
    var headingId = "item-" + id + "-name";
    var needsLogin = RECONNECTABLE.indexOf(item.status) >= 0;
    var error = item.error;

    var actions = [];
    if (needsLogin || item.new_accounts_available) {
      actions.push(actionButton(item, "reconnect",
        needsLogin ? "Reconnect" : "Choose new accounts", "button-primary",
        function () { openLink(item); }));
    }
    if (item.status === "revoked") {
      actions.push(actionButton(item, "relink", "Link again", "button-primary",
        function () { openLink(null); }));
    } else {
      actions.push(actionButton(item, "sync", "Sync now", "", function () {
        runAction(item, "sync", "items/" + encodeURIComponent(id) + "/sync/",
          "Syncing " + name + ". New transactions appear in a moment.");
      }));
      actions.push(actionButton(item, "refresh-balances", "Refresh balances", "", function () {
        refreshBalances(item);
      }));
    }
    actions.push(actionButton(item, "remove", "Remove", "button-danger-quiet", function () {
      confirmRemove(item);
    }));

    return h("article", { class: "item tone-" + status.tone + (highlighted(item) ? " highlight" : ""),
                          "data-item-id": id,
                          "aria-labelledby": headingId },
      h("header", { class: "item-head" },
        h("div", { class: "item-title" },
          h("span", { class: "bank-logo", "aria-hidden": "true", text: initials(name) }),
          h("div", null,
            h("h3", { id: headingId, text: name }),
            h("p", { class: "muted small" }, "Linked " + dateTime(item.created_at) + " · Item ",
              h("code", { class: "item-id", text: id })))),
        h("span", { class: "badge badge-" + status.tone, "data-status": item.status },
          h("span", { class: "sr-only", text: "Status: " }), status.label)),
      needsLogin
        ? h("p", { class: "item-warning" },
            item.status === "login_required"
              ? "Your bank needs you to sign in again before we can update these accounts."
              : "This connection needs your attention soon: reconnect to keep it working.",
            error && (error.display_message || error.error_code)
              ? h("span", { class: "small muted" }, " (", error.display_message ||
                  error.error_code, ")")
              : null)
        : error
          ? h("p", { class: "item-warning", text: describeError(error) })
          : null,
      item.new_accounts_available && !needsLogin
        ? h("p", { class: "item-info", text: "Your bank has new accounts you can add." })
        : null,
      renderAccounts(item),
      h("div", { class: "item-actions", role: "group", "aria-label": "Actions for " + name },
        actions));
  }

  function actionButton(item, action, label, extraClass, onclick) {
    var key = item.item_id + ":" + action;
    var busy = !!state.busy[key];
    return h("button", {
      type: "button",
      class: "button " + extraClass,
      "data-key": key,
      "data-action": action,
      disabled: busy || (state.linking && (action === "reconnect" || action === "relink")),
      "aria-busy": busy ? "true" : null,
      "aria-label": label + " " + (item.institution_name || "bank"),
      onclick: onclick,
    }, busy ? h("span", { class: "spinner", "aria-hidden": "true" }) : null, label);
  }

  function initials(name) {
    return name.split(/\s+/).filter(Boolean).slice(0, 2)
      .map((w) => w.charAt(0).toUpperCase()).join("");
  }

  function renderAccounts(item) {
    var accounts = item.accounts || [];
    if (!accounts.length) {
      return h("p", { class: "muted", text: item.status === "revoked"
        ? "Access was revoked at the bank; its accounts are gone."
        : "Fetching this bank's accounts…" });
    }
    var updated = accounts.map((a) => a.balances_updated_at).filter(Boolean).sort().pop();
    return h("div", { class: "table-wrap" },
      h("table", { class: "accounts" },
        h("caption", { class: "sr-only", text: "Accounts at " + item.institution_name }),
        h("thead", null, h("tr", null,
          h("th", { scope: "col", text: "Account" }),
          h("th", { scope: "col", text: "Type" }),
          h("th", { scope: "col", class: "num", text: "Balance" }),
          h("th", { scope: "col", class: "num", text: "Available" }))),
        h("tbody", null, accounts.map(function (account) {
          var b = account.balances || {};
          return h("tr", { "data-account-id": account.account_id },
            h("th", { scope: "row" },
              h("span", { class: "account-name", text: account.name }),
              account.mask
                ? h("span", { class: "mask muted" },
                    h("span", { "aria-hidden": "true", text: " ••" }),
                    h("span", { class: "sr-only", text: " ending in " }),
                    account.mask)
                : null),
            h("td", { text: words(account.subtype || account.type) }),
            h("td", { class: "num balance", text: money(b.current, b) }),
            h("td", { class: "num", text: b.available == null
              ? (b.limit != null ? "Limit " + money(b.limit, b) : "—")
              : money(b.available, b) }));
        }))),
      h("p", { class: "muted small", text: "Balances as of " + dateTime(updated) + "." }));
  }

  function renderAccountFilter() {
    var accounts = allAccounts();
    var select = el.accountFilter;
    var wanted = [""].concat(Object.keys(accounts));
    var have = Array.prototype.map.call(select.options, (o) => o.value);
    if (wanted.join() === have.join()) return;
    var current = select.value;
    select.textContent = "";
    append(select, h("option", { value: "", text: "All accounts" }));
    Object.keys(accounts).forEach(function (id) {
      var a = accounts[id];
      append(select, h("option", { value: id,
        text: a.institution + " · " + a.name + (a.mask ? " ••" + a.mask : "") }));
    });
    select.value = accounts[current] ? current : "";
    if (select.value !== state.accountFilter) {
      state.accountFilter = select.value;
      loadTransactions(true);
    }
  }

  function loadItems() {
    return api("items/").then(function (body) {
      // items/ is a list, or DRF's pagination object if the project sets a paginator.
      var items = Array.isArray(body) ? body : body.results || [];
      var json = JSON.stringify(items);
      if (json !== state.itemsJson) {
        state.items = items;
        state.itemsJson = json;
        renderItems();
        renderTransactions(); // account names in the transactions may have changed
      }
      return items;
    });
  }

  function upsertItem(item) {
    var items = (state.items || []).filter((i) => i.item_id !== item.item_id);
    state.items = [item].concat(items);
    state.itemsJson = "";
    renderItems();
  }

  // ---------------------------------------------------------------------------------------
  // Transactions, a cursor page at a time
  // ---------------------------------------------------------------------------------------

  function transactionsUrl() {
    var query = "transactions/?page_size=" + PAGE_SIZE;
    if (state.accountFilter) query += "&account_id=" + encodeURIComponent(state.accountFilter);
    return query;
  }

  /**
   * Fetches the first page. `reset`: start over (a new filter). Otherwise (a poll) the
   * first page replaces what is shown when only one page is shown; when the user has paged
   * further, new rows above the newest one shown are added on top, so the list never jumps.
   */
  function loadTransactions(reset) {
    var filter = state.accountFilter;
    return api(transactionsUrl()).then(function (page) {
      if (filter !== state.accountFilter) return; // the filter changed meanwhile
      if (reset || state.pagesShown <= 1) {
        var json = JSON.stringify(page);
        if (!reset && json === state.transactionsJson) return;
        state.transactionsJson = json;
        state.transactions = page.results;
        state.next = page.next;
        state.pagesShown = 1;
      } else {
        var shown = {};
        state.transactions.forEach((t) => (shown[t.transaction_id] = true));
        var fresh = page.results.filter((t) => !shown[t.transaction_id]);
        var newest = state.transactions[0];
        fresh = fresh.filter((t) => !newest || t.date >= newest.date);
        if (!fresh.length) return;
        state.transactions = fresh.concat(state.transactions);
      }
      if (state.awaitingTransactions && page.results.some(
        (t) => t.item_id === state.awaitingTransactions)) {
        // Keep the link's message ("Linked ...: n accounts.") and say the rest.
        notify((state.linkedMessage ? state.linkedMessage + " " : "") +
          "Your transactions have arrived.");
        state.awaitingTransactions = null;
        state.linkedMessage = null;
      }
      renderTransactions();
    });
  }

  function loadMore() {
    if (!state.next) return;
    var filter = state.accountFilter;
    el.moreButton.disabled = true;
    el.moreButton.setAttribute("aria-busy", "true");
    api(state.next).then(function (page) {
      if (filter !== state.accountFilter) return;
      var shown = {};
      state.transactions.forEach((t) => (shown[t.transaction_id] = true));
      var firstNew = state.transactions.length;
      state.transactions = state.transactions.concat(
        page.results.filter((t) => !shown[t.transaction_id]));
      state.next = page.next;
      state.pagesShown += 1;
      renderTransactions();
      // Keyboard users land on the first new row rather than back at the button.
      var row = el.transactions.querySelectorAll("tbody tr")[firstNew];
      if (row) row.focus();
      else el.moreButton.focus();
    }).catch(function (error) {
      showError("Could not load older transactions", error);
    }).then(function () {
      el.moreButton.disabled = false;
      el.moreButton.removeAttribute("aria-busy");
    });
  }

  function renderTransactions() {
    el.transactions.setAttribute("aria-busy", "false");
    var rows = state.transactions;
    var accounts = allAccounts();
    el.moreButton.hidden = !state.next;
    if (!rows.length) {
      el.transactionsSummary.textContent = "Newest first.";
      var waiting = (state.items || []).length;
      replaceChildren(el.transactions, h("div", { class: "empty" },
        h("p", { class: "empty-title", text: waiting
          ? "No transactions yet" : "Nothing to show yet" }),
        h("p", { class: "muted", text: waiting
          ? "They arrive moments after linking, when Plaid's webhook tells the server to sync."
          : "Link a bank to see its transactions here." })));
      return;
    }
    el.transactionsSummary.textContent = "Newest first. Showing " + rows.length +
      (rows.length === 1 ? " transaction" : " transactions") +
      (state.next ? "; older ones below." : ".");
    replaceChildren(el.transactions, h("div", { class: "table-wrap" },
      h("table", { class: "transactions" },
        h("caption", { class: "sr-only", text: "Transactions, newest first" }),
        h("thead", null, h("tr", null,
          h("th", { scope: "col", text: "Date" }),
          h("th", { scope: "col", text: "Description" }),
          h("th", { scope: "col", text: "Account" }),
          h("th", { scope: "col", text: "Category" }),
          h("th", { scope: "col", class: "num", text: "Amount" }))),
        h("tbody", null, rows.map(function (t) {
          var account = accounts[t.account_id];
          // Plaid's sign: positive when money leaves the account. Show spending as "−".
          var inflow = t.amount < 0;
          var amount = money(Math.abs(t.amount), t);
          var category = t.personal_finance_category && t.personal_finance_category.primary;
          return h("tr", { "data-transaction-id": t.transaction_id, tabindex: "-1",
                           "data-key": "tx:" + t.transaction_id,
                           class: t.pending ? "pending" : null },
            h("td", { class: "nowrap", text: dateOnly(t.date) }),
            h("td", null,
              h("span", { class: "tx-name", text: t.merchant_name || t.name }),
              t.pending ? h("span", { class: "badge badge-muted", text: "Pending" }) : null),
            h("td", { class: "muted", text: account
              ? account.name + (account.mask ? " ••" + account.mask : "") : "" }),
            h("td", { class: "muted", text: category ? words(category) : "" }),
            h("td", { class: "num amount " + (inflow ? "inflow" : "outflow") },
              h("span", { class: "sr-only", text: inflow ? "Money in: " : "Money out: " }),
              h("span", { "aria-hidden": "true", text: inflow ? "+" : "−" }), amount));
        })))));
  }

  // ---------------------------------------------------------------------------------------
  // Actions
  // ---------------------------------------------------------------------------------------

  function setBusy(item, action, busy) {
    var key = item.item_id + ":" + action;
    if (busy) state.busy[key] = true;
    else delete state.busy[key];
    renderItems();
  }

  /** POST an Item action that answers 202 (sync/, update-complete/...), then poll. */
  function runAction(item, action, path, message) {
    clearError();
    setBusy(item, action, true);
    return api(path, { method: "POST" }).then(function () {
      notify(message);
      pollSoon();
    }).catch(function (error) {
      showError("Could not " + (action === "sync" ? "sync " : "update ") +
        item.institution_name, error);
    }).then(function () {
      setBusy(item, action, false);
    });
  }

  /** refresh-balances/ answers 202; the balances change when accounts/ says so. */
  function refreshBalances(item) {
    var id = item.item_id;
    var before = (item.accounts || []).map((a) => a.balances_updated_at).join();
    runAction(item, "refresh-balances", "items/" + encodeURIComponent(id) +
      "/refresh-balances/", "Fetching live balances from " + item.institution_name + "…")
      .then(function () {
        var tries = 0;
        (function check() {
          api("accounts/?item_id=" + encodeURIComponent(id)).then(function (accounts) {
            accounts = Array.isArray(accounts) ? accounts : accounts.results || [];
            var after = accounts.map((a) => a.balances_updated_at).join();
            if (after !== before) {
              notify("Balances at " + item.institution_name + " are up to date.");
              loadItems();
            } else if (++tries < 10) {
              setTimeout(check, 1000);
            } else {
              // Live fetches are throttled per Item: the cached balances stay.
              notify("The balances at " + item.institution_name + " were already current.");
            }
          }).catch(function () {});
        })();
      });
  }

  var pendingRemoval = null;

  function confirmRemove(item) {
    pendingRemoval = item;
    el.removeText.textContent = "Remove " + (item.institution_name || "this bank") +
      " and its " + (item.accounts || []).length + " accounts? The app stops receiving " +
      "its data, and Plaid disconnects it. You can link it again later.";
    if (el.removeDialog.showModal) el.removeDialog.showModal();
    else if (window.confirm(el.removeText.textContent)) removeItem(item);
  }

  el.removeDialog.addEventListener("close", function () {
    var item = pendingRemoval;
    pendingRemoval = null;
    if (item && el.removeDialog.returnValue === "remove") removeItem(item);
    else if (item) focusItemAction(item.item_id, "remove");
  });

  function removeItem(item) {
    clearError();
    setBusy(item, "remove", true);
    api("items/" + encodeURIComponent(item.item_id) + "/", { method: "DELETE" })
      .then(function () {
        delete state.busy[item.item_id + ":remove"];
        state.items = (state.items || []).filter((i) => i.item_id !== item.item_id);
        state.itemsJson = "";
        renderItems();
        notify("Removed " + item.institution_name + ".");
        el.linkButton.focus();
        loadTransactions(true).catch(function () {});
      })
      .catch(function (error) {
        setBusy(item, "remove", false);
        showError("Could not remove " + item.institution_name, error);
      });
  }

  function focusItemAction(itemId, action) {
    var button = el.items.querySelector('[data-key="' + cssEscape(itemId + ":" + action) + '"]');
    if (button) button.focus();
  }

  /** Points at an Item (the one a duplicate link matched) for a few seconds. */
  function highlightItem(itemId) {
    state.highlight = { itemId: itemId, until: Date.now() + 6000 };
    renderItems();
    var card = el.items.querySelector('[data-item-id="' + cssEscape(itemId) + '"]');
    if (card) card.scrollIntoView({ block: "nearest", behavior: "smooth" });
    setTimeout(renderItems, 6100);
  }

  function highlighted(item) {
    var h = state.highlight;
    return h && h.itemId === item.item_id && Date.now() < h.until;
  }

  // ---------------------------------------------------------------------------------------
  // Plaid Link, through dj-plaid's helper (django_plaid/static/django_plaid/link.js)
  // ---------------------------------------------------------------------------------------

  /** Opens Link: for a new bank (item null), or in update mode to repair `item`. */
  function openLink(item) {
    if (state.linking) return;
    clearError();
    if (!window.DjangoPlaid || !window.Plaid) {
      showError("Plaid Link did not load", {
        display_message: "The page could not load Plaid Link's script. Reload the page; " +
          "offline, the Plaid emulator must be running.",
      });
      return;
    }
    var updateMode = !!item;
    var name = item && item.institution_name;
    state.linking = true;
    el.linkButton.disabled = true;
    el.linkButton.setAttribute("aria-busy", "true");
    if (item) setBusy(item, "reconnect", true);

    var link = window.DjangoPlaid.createLink({
      apiBase: API,
      itemId: updateMode ? item.item_id : null,
      // The new Item (the exchange's 201 body), or in update mode the Item after
      // update-complete/ (its status may still change: the server checks with Plaid).
      onItem: function (linked) {
        upsertItem(linked);
        if (updateMode) {
          notify("Reconnected " + (linked.institution_name || name) + ".");
        } else {
          var n = (linked.accounts || []).length;
          state.linkedMessage = "Linked " + linked.institution_name + ": " + n +
            (n === 1 ? " account." : " accounts.");
          notify(state.linkedMessage + " Your transactions arrive in a moment.");
          state.awaitingTransactions = linked.item_id;
        }
        pollSoon();
      },
      // dj-plaid answered an error: 409 DUPLICATE_ITEM, a Plaid error, a network failure.
      onError: function (error) {
        if (error.error_code === "DUPLICATE_ITEM") {
          showError("This bank is already linked", error);
          var existing = error.body && error.body.item_id;
          if (existing) highlightItem(existing);
        } else {
          showError(updateMode ? "Could not reconnect " + name : "Could not link the bank",
            error);
        }
      },
      // Link closed: with Plaid's error (a locked account, wrong credentials...) or with
      // null when the user closed it. The helper reports both to link-events/.
      onExit: function (error, metadata) {
        var bank = (metadata && metadata.institution && metadata.institution.name) || name;
        if (error) {
          showError(bank ? "Link ended at " + bank : "Link ended with an error", error,
            metadata);
        } else {
          notify("Link closed. Nothing was " + (updateMode ? "changed." : "linked."));
        }
      },
    });
    return Promise.resolve(link.open()).then(function () {
      link.destroy();
    }, function () {
      link.destroy();
    }).then(function () {
      state.linking = false;
      el.linkButton.disabled = false;
      el.linkButton.removeAttribute("aria-busy");
      if (item) setBusy(item, "reconnect", false);
      else renderItems();
      // Back to where the user started, unless an error asks for attention.
      if (updateMode && document.querySelector(
        '[data-key="' + cssEscape(item.item_id + ":reconnect") + '"]')) {
        focusItemAction(item.item_id, "reconnect");
      } else if (el.alert.hidden) {
        el.linkButton.focus();
      } else {
        var dismiss = el.alert.querySelector(".alert-dismiss");
        if (dismiss) dismiss.focus();
      }
    });
  }

  // ---------------------------------------------------------------------------------------
  // Polling: webhooks change the data while the page is open
  // ---------------------------------------------------------------------------------------

  var pollTimer = null;
  var polling = false;

  function refresh() {
    return Promise.all([loadItems(), loadTransactions(false)]).then(function () {
      state.lastUpdated = new Date();
      state.offline = false;
      el.lastUpdated.textContent = "Updated " + new Intl.DateTimeFormat(undefined, {
        timeStyle: "medium" }).format(state.lastUpdated) + ".";
    }, function (error) {
      if (error && (error.status === 401 || error.status === 403)) {
        // Signed out (in another tab, or the session expired): back to the login page.
        window.location.reload();
        return;
      }
      if (!state.offline) {
        state.offline = true;
        el.lastUpdated.textContent = "Cannot reach the server (" + describeError(error) +
          "); retrying.";
      }
    });
  }

  function schedule() {
    clearTimeout(pollTimer);
    if (document.visibilityState === "hidden") return; // resumes on visibilitychange
    var fast = Date.now() < state.fastUntil || state.awaitingTransactions;
    pollTimer = setTimeout(poll, fast ? FAST_POLL_MS : POLL_MS);
  }

  function poll() {
    if (polling) return;
    polling = true;
    refresh().then(function () {
      polling = false;
      schedule();
    });
  }

  /** Poll fast for a while: an action or a link just asked the server for new data. */
  function pollSoon() {
    state.fastUntil = Date.now() + FAST_POLL_FOR_MS;
    clearTimeout(pollTimer);
    pollTimer = setTimeout(poll, 300);
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") poll();
    else clearTimeout(pollTimer);
  });

  // ---------------------------------------------------------------------------------------
  // Start
  // ---------------------------------------------------------------------------------------

  el.linkButton.addEventListener("click", function () {
    openLink(null);
  });
  el.moreButton.addEventListener("click", loadMore);
  el.accountFilter.addEventListener("change", function () {
    state.accountFilter = el.accountFilter.value;
    state.pagesShown = 0;
    el.transactions.setAttribute("aria-busy", "true");
    loadTransactions(true).catch(function (error) {
      showError("Could not load transactions", error);
    });
  });

  refresh().then(function () {
    if (state.items === null) {
      el.itemsSummary.textContent = "Could not load your banks.";
    }
    schedule();
  });
})();
