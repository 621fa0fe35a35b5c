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
 *   Choose products   DjangoPlaid.createLink({products})  link-token/ {products}: each
 *                                                   must be in the site's ALLOWED_PRODUCTS
 *   Account numbers   GET    auth/                  masked: "••••0000"
 *   Account owners    GET    identity/              masked names, emails, phones, addresses
 *   Investments       GET    investments/holdings/, investments/transactions/?item_id=
 *   Liabilities       GET    liabilities/           cards, student loans, mortgages
 *   Payroll income    POST   link-token/ {products: ["income_verification"]}, Plaid Link
 *                                                   (no exchange/), then GET income/;
 *                                                   POST income/refresh/ fetches it again
 *
 * Conventions worth copying:
 * - Session authentication: every POST and DELETE sends Django's CSRF token (the
 *   csrftoken cookie) in X-CSRFToken. A token-auth client sends Authorization instead.
 * - Errors are JSON. Plaid's (and dj-plaid's own, such as 409 DUPLICATE_ITEM) carry
 *   error_type, error_code, error_message, display_message and request_id: show
 *   display_message to users when there is one, branch on error_code, never parse
 *   error_message. Bad input is DRF's {"field": ["message"]} or {"detail": "..."}.
 * - Webhooks change the data behind the app's back (new transactions, an Item that needs
 *   a login, payroll income processed): the page polls items/, the first page of
 *   transactions/, the endpoints of the products its Items have, and income/ every few
 *   seconds while it is visible, faster right after a link until its data arrives.
 *   A mobile app would refresh on resume and on a push instead.
 * - The API never returns an access token, and this page never sees one. Account numbers,
 *   identity and payroll data come masked (the site decides who may see them in clear,
 *   PLAID["SENSITIVE_DATA_ACCESS"]; the demo shows clear values to nobody).
 * - Products other than transactions are fetched in the background (Celery) after a
 *   link and on Plaid's webhooks; each product's endpoint serves what is stored. An Item
 *   has only the products it was linked with (`products` in items/), so the page shows
 *   "not linked" for the others rather than waiting for data that never comes.
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
    products: {}, // "auth" | "identity" | "holdings" | "liabilities" -> rows of the API
    investmentTransactions: {}, // item_id -> the newest rows of investments/transactions/
    productsJson: "",
    open: {}, // "<item_id>:<section>" -> true: the product sections the user opened
    income: null, // the last GET income/ body
    incomeJson: "",
    awaitingIncome: false, // an income link succeeded; its data arrives with a webhook
    incomeLinking: false,
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
    productChoice: document.getElementById("product-choice"),
    income: document.getElementById("income"),
    incomeSummary: document.getElementById("income-summary"),
    incomeButton: document.getElementById("income-button"),
    incomeRefresh: document.getElementById("income-refresh-button"),
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
              h("code", { class: "item-id", text: id })),
            h("p", { class: "muted small item-products" }, "Products: ",
              (item.products || []).map((p) => PRODUCT_NAMES[p] || words(p)).join(", ") ||
                "none"))),
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
      renderProducts(item),
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
  // Other products: Auth, Identity, Investments, Liabilities, per Item
  // ---------------------------------------------------------------------------------------

  // Plaid's product names, as people read them.
  var PRODUCT_NAMES = {
    transactions: "Transactions",
    auth: "Auth",
    identity: "Identity",
    investments: "Investments",
    liabilities: "Liabilities",
    income_verification: "Income",
  };

  // What each Item product's section shows, and where the rows come from. Each endpoint
  // lists the user's rows across every Item (`item_id` on each row); `?item_id=` narrows
  // one to an Item. One call per product keeps the polling cheap however many banks.
  var PRODUCT_LISTS = [
    { key: "auth", product: "auth", path: "auth/" },
    { key: "identity", product: "identity", path: "identity/" },
    { key: "holdings", product: "investments", path: "investments/holdings/" },
    { key: "liabilities", product: "liabilities", path: "liabilities/" },
  ];
  var INVESTMENT_TRANSACTIONS_SHOWN = 10;

  /** The products ticked in "Products to link", in Plaid's names. */
  function chosenProducts() {
    return Array.prototype.filter.call(
      el.productChoice.querySelectorAll("input[name=products]"), (box) => box.checked)
      .map((box) => box.value);
  }

  /** Link needs at least one product: the button waits for a tick. */
  function updateLinkButton() {
    var none = !chosenProducts().length;
    el.linkButton.disabled = state.linking || none;
    el.productChoice.querySelector("#product-hint").textContent = none
      ? "Tick at least one product to link a bank."
      : "Link offers only the banks that support every product ticked.";
  }

  function hasProduct(item, product) {
    return (item.products || []).indexOf(product) >= 0;
  }

  function listOf(body) {
    // A list, or DRF's pagination object if the project sets a paginator.
    return Array.isArray(body) ? body : (body && body.results) || [];
  }

  /**
   * Fetches the product data of the Items shown: only the products some Item has (a
   * product no Item was linked with has no data to fetch), and each Item's newest
   * investment transactions (a paged endpoint: the first page, `page_size` rows).
   */
  function loadProducts() {
    var items = state.items || [];
    var calls = PRODUCT_LISTS.map(function (list) {
      if (!items.some((item) => hasProduct(item, list.product))) return Promise.resolve([]);
      return api(list.path).then(listOf);
    });
    var investing = items.filter((item) => hasProduct(item, "investments"));
    calls.push(Promise.all(investing.map(function (item) {
      return api("investments/transactions/?page_size=" + INVESTMENT_TRANSACTIONS_SHOWN +
        "&item_id=" + encodeURIComponent(item.item_id)).then((page) => listOf(page));
    })));
    return Promise.all(calls).then(function (answers) {
      var products = {};
      PRODUCT_LISTS.forEach((list, i) => (products[list.key] = answers[i]));
      var trades = {};
      investing.forEach((item, i) => (trades[item.item_id] = answers[PRODUCT_LISTS.length][i]));
      var json = JSON.stringify([products, trades]);
      if (json === state.productsJson) return;
      state.products = products;
      state.investmentTransactions = trades;
      state.productsJson = json;
      renderItems();
    });
  }

  function rowsOf(key, item) {
    return (state.products[key] || []).filter((row) => row.item_id === item.item_id);
  }

  /** The Item's product sections: one disclosure per product, closed until opened. */
  function renderProducts(item) {
    var accounts = allAccounts();
    function accountName(id) {
      var a = accounts[id];
      return a ? a.name + (a.mask ? " ••" + a.mask : "") : "";
    }
    var numbers = rowsOf("auth", item);
    var owners = ownersOf(rowsOf("identity", item));
    var holdings = rowsOf("holdings", item);
    var trades = state.investmentTransactions[item.item_id] || [];
    var liabilities = rowsOf("liabilities", item);
    return h("div", { class: "products" },
      productSection(item, "auth", "Account numbers", numbers.length &&
        counted(numbers.length, "account"), () => renderAuth(numbers, accountName)),
      productSection(item, "identity", "Account owners", owners.length &&
        counted(owners.length, "owner"), () => renderOwners(owners, accountName)),
      productSection(item, "investments", "Investments", (holdings.length || trades.length) &&
        counted(holdings.length, "holding") + ", " + counted(trades.length, "recent trade"),
        () => renderInvestments(holdings, trades, accountName)),
      productSection(item, "liabilities", "Liabilities", liabilities.length &&
        counted(liabilities.length, "liability", "liabilities"),
        () => renderLiabilities(liabilities, accountName)));
  }

  function counted(n, noun, plural) {
    return n + " " + (n === 1 ? noun : plural || noun + "s");
  }

  /**
   * One product's section. Three states: the Item was not linked with the product (the
   * bank does not offer it, or it was not ticked), linked but nothing stored yet (the
   * background fetch has not finished, or the bank has no such accounts), and the data.
   * `count` says how much there is (falsy: nothing stored yet); `render` draws it.
   */
  function productSection(item, product, title, count, render) {
    var key = item.item_id + ":" + product;
    var bank = item.institution_name || "This bank";
    var body;
    if (!hasProduct(item, product)) {
      count = "Not linked";
      body = h("p", { class: "muted product-empty", text: bank + " was linked without " +
        PRODUCT_NAMES[product] + ": it was not ticked, or the bank does not offer it. " +
        "To see it, link a bank that offers " + PRODUCT_NAMES[product] +
        " with it ticked." });
    } else if (!count) {
      count = "Nothing yet";
      body = h("p", { class: "muted product-empty", text: "Nothing stored yet. dj-plaid " +
        "fetches " + PRODUCT_NAMES[product] + " in the background after linking and when " +
        "Plaid's webhooks say it changed; it shows here when it arrives (unless " + bank +
        " has no such accounts)." });
    } else {
      body = render();
    }
    return h("details", {
      class: "product" + (hasProduct(item, product) ? "" : " product-missing"),
      "data-product": product,
      open: !!state.open[key],
      ontoggle: function (event) {
        // Re-rendering on a poll would close it: remember what the user opened.
        if (event.target.open) state.open[key] = true;
        else delete state.open[key];
      },
    },
      h("summary", { "data-key": key + ":summary" },
        h("span", { class: "product-title", text: title }),
        h("span", { class: "product-name muted small", text: " " + PRODUCT_NAMES[product] }),
        h("span", { class: "product-count muted small", text: count })),
      body);
  }

  function table(caption, headings, rows) {
    return h("div", { class: "table-wrap" },
      h("table", { class: "product-table" },
        h("caption", { class: "sr-only", text: caption }),
        h("thead", null, h("tr", null, headings.map(function (heading) {
          var numeric = heading.charAt(0) === "#";
          return h("th", { scope: "col", class: numeric ? "num" : null,
                           text: numeric ? heading.slice(1) : heading });
        }))),
        h("tbody", null, rows)));
  }

  function cell(text, numeric) {
    return h("td", { class: numeric ? "num" : null, text: text == null ? "—" : String(text) });
  }

  /** Auth: the account and routing numbers, as masked by the API ("••••0000"). */
  function renderAuth(rows, accountName) {
    var lines = [];
    rows.forEach(function (row) {
      var n = row.numbers || {};
      (n.ach || []).forEach((x) => lines.push([row, "ACH", x.account, x.routing, x.wire_routing]));
      (n.eft || []).forEach((x) => lines.push([row, "EFT", x.account, x.institution + " " +
        x.branch, null]));
      (n.international || []).forEach((x) => lines.push([row, "IBAN", x.iban, x.bic, null]));
      (n.bacs || []).forEach((x) => lines.push([row, "BACS", x.account, x.sort_code, null]));
    });
    return [
      table("Account numbers", ["Account", "Kind", "Account number", "Routing",
        "Wire routing"], lines.map(function (line) {
        return h("tr", { "data-account-id": line[0].account_id },
          h("th", { scope: "row", text: accountName(line[0].account_id) }),
          cell(line[1]), cell(line[2]), cell(line[3]), cell(line[4]));
      })),
      h("p", { class: "muted small", text: "Masked by the API: the full numbers never " +
        "reach this page." }),
    ];
  }

  /** Identity: owners are per account; the same person on several accounts shows once. */
  function ownersOf(rows) {
    var owners = [];
    var byJson = {};
    rows.forEach(function (row) {
      var json = JSON.stringify(row.owner);
      if (!byJson[json]) {
        byJson[json] = { owner: row.owner || {}, accountIds: [] };
        owners.push(byJson[json]);
      }
      byJson[json].accountIds.push(row.account_id);
    });
    return owners;
  }

  function renderOwners(owners, accountName) {
    function values(list, show) {
      return (list || []).map((entry) => show(entry) +
        (entry.type ? " (" + words(entry.type) + ")" : "") +
        (entry.primary && entry.type !== "primary" ? " (primary)" : ""));
    }
    function address(entry) {
      var a = entry.data || {};
      return [a.street, a.city, a.region, a.postal_code, a.country].filter(Boolean).join(", ");
    }
    return owners.map(function (entry) {
      var o = entry.owner;
      return h("div", { class: "owner" },
        h("p", { class: "owner-name", text: (o.names || []).join(" / ") || "—" }),
        h("dl", { class: "facts" },
          h("dt", { text: "Emails" }), h("dd", { text: values(o.emails, (e) => e.data)
            .join("; ") || "—" }),
          h("dt", { text: "Phones" }), h("dd", { text: values(o.phone_numbers, (p) => p.data)
            .join("; ") || "—" }),
          h("dt", { text: "Addresses" }), h("dd", { text: values(o.addresses, address)
            .join("; ") || "—" }),
          h("dt", { text: "Accounts" }), h("dd", { text: entry.accountIds.map(accountName)
            .join(", ") })));
    }).concat(h("p", { class: "muted small", text: "Masked by the API." }));
  }

  function quantity(value) {
    return value == null ? "—" : new Intl.NumberFormat(undefined, {
      maximumFractionDigits: 4 }).format(value);
  }

  /** Investments: holdings (with their securities), then the newest trades. */
  function renderInvestments(holdings, trades, accountName) {
    return [
      h("h4", { text: "Holdings" }),
      holdings.length ? table("Holdings", ["Security", "Account", "#Quantity", "#Price",
        "#Value", "#Cost basis"], holdings.map(function (row) {
        return h("tr", { "data-security-id": row.security_id },
          h("th", { scope: "row" },
            h("span", { text: row.security_name || row.security_id }),
            row.ticker_symbol ? h("span", { class: "muted small", text: " " +
              row.ticker_symbol }) : null),
          cell(accountName(row.account_id)),
          cell(quantity(row.quantity), true),
          cell(money(row.institution_price, row), true),
          cell(money(row.institution_value, row), true),
          cell(money(row.cost_basis, row), true));
      })) : h("p", { class: "muted", text: "No holdings stored." }),
      h("h4", { text: "Recent investment transactions" }),
      trades.length ? table("Investment transactions, newest first", ["Date", "Description",
        "Type", "#Quantity", "#Cash"], trades.map(function (row) {
        // Plaid's sign, as for transactions: positive when cash leaves the account (a buy),
        // negative when it comes in (a sale, a dividend). Shown as "−" and "+".
        var inflow = row.amount < 0;
        return h("tr", { "data-investment-transaction-id": row.investment_transaction_id },
          cell(dateOnly(row.date)),
          h("th", { scope: "row", text: row.name }),
          cell(words(row.subtype || row.type)),
          cell(quantity(row.quantity), true),
          h("td", { class: "num amount " + (inflow ? "inflow" : "outflow") },
            h("span", { class: "sr-only", text: inflow ? "Cash in: " : "Cash out: " }),
            h("span", { "aria-hidden": "true", text: row.amount ? (inflow ? "+" : "−") : "" }),
            money(Math.abs(row.amount), row)));
      })) : h("p", { class: "muted", text: "No investment transactions stored." }),
      h("p", { class: "muted small", text: "The newest " + INVESTMENT_TRANSACTIONS_SHOWN +
        " of the last 24 months; investments/transactions/ pages back through the rest." }),
    ];
  }

  function percent(value) {
    return value == null ? "—" : value + "%";
  }

  /** Liabilities: what is due, when, and at what rate. */
  function renderLiabilities(rows, accountName) {
    return table("Liabilities, by next due date", ["Account", "Kind", "Next due",
      "#Minimum payment", "#Last statement", "#Interest rate", "Overdue"],
    rows.map(function (row) {
      return h("tr", { "data-account-id": row.account_id },
        h("th", { scope: "row", text: accountName(row.account_id) }),
        cell(words(row.kind === "credit" ? "credit card" : row.kind + " loan")),
        cell(row.next_payment_due_date ? dateOnly(row.next_payment_due_date) : null),
        cell(money(row.minimum_payment_amount), true),
        cell(money(row.last_statement_balance), true),
        cell(percent(row.interest_rate_percentage), true),
        cell(row.is_overdue == null ? "—" : row.is_overdue ? "Yes" : "No"));
    }));
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
      var items = state.items || [];
      var waiting = items.some((item) => hasProduct(item, "transactions"));
      replaceChildren(el.transactions, h("div", { class: "empty" },
        h("p", { class: "empty-title", text: waiting
          ? "No transactions yet" : items.length ? "No bank linked with Transactions"
          : "Nothing to show yet" }),
        h("p", { class: "muted", text: waiting
          ? "They arrive moments after linking: the server syncs them in the background, " +
            "and again each time Plaid's webhooks say there are new ones."
          : items.length ? "Tick Transactions when you link a bank to see its transactions here."
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
      // A new Item asks for the products ticked; update mode takes none (the Item keeps
      // the products it has).
      products: updateMode ? undefined : chosenProducts(),
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
      updateLinkButton();
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
  // Payroll income: a Link of its own, for the user rather than a bank
  // ---------------------------------------------------------------------------------------

  function loadIncome() {
    return api("income/").then(function (body) {
      var rows = listOf(body);
      var json = JSON.stringify(rows);
      if (json === state.incomeJson && state.income !== null) return;
      state.income = rows;
      state.incomeJson = json;
      if (rows.length && state.awaitingIncome) {
        state.awaitingIncome = false;
        notify("Your income from " + rows[0].institution_name + " has arrived.");
      }
      renderIncome();
    });
  }

  function renderIncome() {
    var rows = state.income || [];
    el.income.setAttribute("aria-busy", "false");
    el.incomeRefresh.hidden = !(rows.length || state.awaitingIncome);
    el.incomeSummary.textContent = rows.length
      ? "Payroll income from " + rows.map((r) => r.institution_name).join(", ") + "."
      : "Payroll income, from your employer's payroll provider.";
    if (!rows.length) {
      replaceChildren(el.income, h("div", { class: "empty" },
        h("p", { class: "empty-title", text: state.awaitingIncome
          ? "Your payroll provider is connected" : "No income verified yet" }),
        h("p", { class: "muted", text: state.awaitingIncome
          ? "Plaid is processing your pay stubs: they show here when Plaid's INCOME " +
            "webhook tells the server they are ready."
          : "Verify income to link your payroll provider; your pay stubs and W-2s show " +
            "here once Plaid has processed them." })));
      return;
    }
    replaceChildren(el.income, rows.map(renderPayroll));
  }

  /** One payroll Item: its provider, rate of pay and pay stubs (amounts come masked). */
  function renderPayroll(row) {
    var payroll = row.payroll || {};
    var account = (payroll.accounts || [])[0] || {};
    var rate = account.rate_of_pay || {};
    var stubs = [];
    var w2s = [];
    (payroll.payroll_income || []).forEach(function (income) {
      stubs = stubs.concat(income.pay_stubs || []);
      w2s = w2s.concat(income.w2s || []);
    });
    return h("article", { class: "item payroll", "data-item-id": row.item_id,
                          "aria-labelledby": "payroll-" + row.item_id },
      h("header", { class: "item-head" },
        h("div", { class: "item-title" },
          h("span", { class: "bank-logo", "aria-hidden": "true",
                      text: initials(row.institution_name || "?") }),
          h("div", null,
            h("h3", { id: "payroll-" + row.item_id, text: row.institution_name }),
            h("p", { class: "muted small", text: "Updated " + dateTime(row.plaid_updated_at) }))),
        h("span", { class: "badge " + (row.processing_status === "PROCESSING_COMPLETE"
          ? "badge-ok" : "badge-warn"), text: words(row.processing_status) })),
      h("dl", { class: "facts" },
        h("dt", { text: "Pay" }), h("dd", { text: [words(rate.pay_rate), rate.pay_amount]
          .filter(Boolean).join(", ") || "—" }),
        h("dt", { text: "Paid" }), h("dd", { text: words(account.pay_frequency) || "—" }),
        h("dt", { text: "W-2s" }), h("dd", { text: w2s.map((w) => "Tax year " + w.tax_year)
          .join(", ") || "—" })),
      stubs.length ? table("Pay stubs, newest first", ["Pay date", "Period", "Employer",
        "#Net pay", "Paid into"], stubs.map(function (stub) {
        var period = stub.pay_period_details || {};
        var into = (period.distribution_breakdown || []).map((d) =>
          words(d.type) + (d.mask ? " ••" + d.mask : "")).join(", ");
        return h("tr", { "data-document-id": stub.document_id },
          h("th", { scope: "row", text: period.pay_date ? dateOnly(period.pay_date) : "—" }),
          cell(period.start_date && period.end_date
            ? dateOnly(period.start_date) + " – " + dateOnly(period.end_date) : null),
          cell(stub.employer && stub.employer.name),
          cell(stub.net_pay && stub.net_pay.current_amount, true),
          cell(into || null));
      })) : h("p", { class: "muted", text: "No pay stubs." }),
      h("p", { class: "muted small", text: "Amounts, names and addresses are masked by " +
        "the API." }));
  }

  /**
   * "Verify income": an income Link token, then Plaid Link. Not DjangoPlaid.createLink,
   * which sends onSuccess's public token to exchange/ (for bank Items): an income link's
   * public token is not exchanged. Plaid processes the payroll data and says so with its
   * INCOME webhook; the server then fetches it, and income/ serves it.
   */
  function verifyIncome() {
    if (state.incomeLinking || state.linking) return;
    clearError();
    if (!window.Plaid) {
      showError("Plaid Link did not load", { display_message: "Reload the page." });
      return;
    }
    state.incomeLinking = true;
    el.incomeButton.disabled = true;
    el.incomeButton.setAttribute("aria-busy", "true");
    var done = function () {
      state.incomeLinking = false;
      el.incomeButton.disabled = false;
      el.incomeButton.removeAttribute("aria-busy");
      el.incomeButton.focus();
    };
    api("link-token/", { method: "POST", body: { products: ["income_verification"] } })
      .then(function (body) {
        var handler = window.Plaid.create({
          token: body.link_token,
          onSuccess: function (publicToken, metadata) {
            var name = metadata && metadata.institution && metadata.institution.name;
            handler.destroy();
            state.awaitingIncome = true;
            notify("Connected to " + (name || "your payroll provider") + ". Your income " +
              "arrives once Plaid has processed it.");
            renderIncome();
            pollSoon();
            done();
          },
          onExit: function (error, metadata) {
            handler.destroy();
            // The same report the helper sends for bank links: support staff see it.
            api("link-events/", { method: "POST", body: {
              event_name: "EXIT", error: error || null, metadata: metadata || {} },
            }).catch(function () {});
            if (error) showError("Income verification ended", error, metadata);
            else notify("Link closed. No income was linked.");
            done();
          },
        });
        handler.open();
      })
      .catch(function (error) {
        showError("Could not start income verification", error);
        done();
      });
  }

  /** POST income/refresh/: 202, the fetch runs in the background; poll for it. */
  function refreshIncome() {
    clearError();
    el.incomeRefresh.disabled = true;
    api("income/refresh/", { method: "POST" }).then(function () {
      notify("Fetching your income again…");
      pollSoon();
    }).catch(function (error) {
      showError("Could not fetch your income", error);
    }).then(function () {
      el.incomeRefresh.disabled = false;
    });
  }

  // ---------------------------------------------------------------------------------------
  // Polling: webhooks change the data while the page is open
  // ---------------------------------------------------------------------------------------

  var pollTimer = null;
  var polling = false;

  function refresh() {
    return Promise.all([
      loadItems().then(loadProducts), loadTransactions(false), loadIncome(),
    ]).then(function () {
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
    var fast = Date.now() < state.fastUntil || state.awaitingTransactions ||
      state.awaitingIncome;
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
  el.productChoice.addEventListener("change", updateLinkButton);
  el.incomeButton.addEventListener("click", verifyIncome);
  el.incomeRefresh.addEventListener("click", refreshIncome);
  updateLinkButton();
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
