/* The Link simulator's iframe: Plaid Link's panes, driven by /emulator/link/session/*.
 * Each backend answer names the pane to show and the onEvent events to forward; the page
 * hears from us only through postMessage (see link-initialize.js). */
(function () {
  "use strict";
  var params = new URLSearchParams(location.search);
  var parentOrigin = params.get("origin");
  // An opaque origin ("null": about:blank, file://) cannot be targeted by name.
  var target = parentOrigin && parentOrigin !== "null" ? parentOrigin : "*";
  var pane = document.getElementById("pane");
  var s = { id: null, view: null, requestId: null, clientName: "This application", busy: false };
  var searchTimer = null;

  function post(message) {
    message.plaidLinkSimulator = 1;
    window.parent.postMessage(message, target);
  }

  // h("button", {class: "primary", onclick: f}, "Continue") builds DOM (never innerHTML).
  function h(tag, attrs) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key.slice(0, 2) === "on") el.addEventListener(key.slice(2), value);
      else if (key === "text") el.textContent = value;
      else el.setAttribute(key, value === true ? "" : value);
    });
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined) continue;
      el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return el;
  }
  function svg(markup, size) {
    var box = h("span", { "aria-hidden": "true" });
    box.innerHTML =
      '<svg viewBox="0 0 24 24" width="' + (size || 24) + '" height="' + (size || 24) +
      '" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" ' +
      'stroke-linejoin="round">' + markup + "</svg>";
    return box.firstChild;
  }
  var ICONS = {
    lock: '<rect x="5" y="11" width="14" height="10" rx="2"/><path d="M8 11V7a4 4 0 0 1 8 0v4"/>',
    eye: '<path d="M2 12s4-7 10-7 10 7 10 7-4 7-10 7S2 12 2 12z"/><path d="M3 3l18 18"/>',
    link: '<path d="M10 14a5 5 0 0 0 7 0l3-3a5 5 0 0 0-7-7l-1 1"/><path d="M14 10a5 5 0 0 0-7 0l-3 3a5 5 0 0 0 7 7l1-1"/>',
    check: '<path d="M5 12l5 5 9-10"/>',
    alert: '<path d="M12 8v5M12 16.5v.5"/><circle cx="12" cy="12" r="9"/>',
  };

  function logo(institution) {
    var el = h("span", { class: "logo", "aria-hidden": "true" }, (institution.name || "?").charAt(0));
    // CSSOM, not a style attribute: the iframe's CSP allows no inline styles.
    if (institution.primary_color) el.style.background = institution.primary_color;
    return el;
  }

  function focusFirst() {
    var first = pane.querySelector("[data-autofocus]") || pane.querySelector("h1");
    if (first) first.focus();
  }
  function show(children) {
    pane.replaceChildren.apply(pane, children);
    focusFirst();
  }
  function heading(text) {
    return h("h1", { id: "heading", tabindex: "-1" }, text);
  }
  function primary(label, attrs) {
    attrs = attrs || {};
    attrs.class = "primary";
    attrs.type = attrs.type || "button";
    return h("button", attrs, label);
  }
  function institutionLine() {
    return s.institution
      ? h("div", { class: "selected" }, logo(s.institution), h("span", null, s.institution.name))
      : null;
  }

  // -- backend ------------------------------------------------------------------------------

  function call(step, body) {
    if (s.busy) return Promise.resolve(null);
    s.busy = true;
    clearTimeout(searchTimer);
    body = body || {};
    if (s.id) body.link_session_id = s.id;
    return fetch("/emulator/link/session/" + step, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    })
      .then(function (response) {
        return response.json().then(function (answer) {
          return { ok: response.ok, answer: answer };
        });
      })
      .catch(function () {
        return { ok: false, answer: { error_type: "API_ERROR", error_code: "INTERNAL_SERVER_ERROR",
          error_message: "the Plaid emulator could not be reached", display_message: null } };
      })
      .then(function (result) {
        s.busy = false;
        var answer = result.answer;
        if (answer.request_id) s.requestId = answer.request_id;
        if (!result.ok) {
          s.error = errorOf(answer);
          if (step === "start" || step === "exit") return exitWith(s.error, s.status);
          s.view = "ERROR";
          render({});
          return null;
        }
        (answer.events || []).forEach(function (event) {
          post({ type: "event", eventName: event.event_name, metadata: event.metadata });
        });
        s.view = answer.view;
        if (answer.institution !== undefined) s.institution = answer.institution;
        if (answer.error) s.error = answer.error;
        return answer;
      });
  }
  // Searches run beside the other calls; a late one (the user has moved on) is dropped.
  function search(query) {
    return fetch("/emulator/link/session/search", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ link_session_id: s.id, query: query }),
    })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .catch(function () {
        return null;
      })
      .then(function (answer) {
        if (!answer) return null;
        s.requestId = answer.request_id;
        answer.events.forEach(function (event) {
          post({ type: "event", eventName: event.event_name, metadata: event.metadata });
        });
        return answer;
      });
  }
  function errorOf(body) {
    return {
      error_type: body.error_type,
      error_code: body.error_code,
      error_message: body.error_message,
      display_message: body.display_message === undefined ? null : body.display_message,
    };
  }
  function step(name, body) {
    return call(name, body).then(function (answer) {
      if (answer) render(answer);
      return answer;
    });
  }
  // onExit without the backend (an invalid token, or the emulator gone).
  function exitWith(error, status) {
    var metadata = {
      institution: s.institution ? { name: s.institution.name, institution_id: s.institution.institution_id } : null,
      link_session_id: s.id || (crypto.randomUUID ? crypto.randomUUID() : String(Date.now())),
      request_id: s.requestId || "",
    };
    if (status) metadata.status = status;
    post({ type: "exit", error: error, metadata: metadata });
    return null;
  }
  function leave() {
    if (s.done) return;
    if (s.view === "CONNECTED") return finish();
    // Asked to close before Link has started: close as soon as it has.
    if (!s.id) return (s.leaveWhenStarted = true);
    call("exit").then(function (answer) {
      if (!answer) return;
      s.done = true;
      post({ type: "exit", error: answer.on_exit.error, metadata: answer.on_exit.metadata });
    });
  }
  function finish() {
    call("finish").then(function (answer) {
      if (!answer) return;
      s.done = true;
      var success = answer.on_success;
      post({ type: "success", publicToken: success.public_token, metadata: success.metadata });
    });
  }

  // -- panes --------------------------------------------------------------------------------

  var PANES = {
    CONSENT: function () {
      function point(icon, title, text) {
        return h("li", null, svg(ICONS[icon]), h("span", null, h("strong", null, title), text));
      }
      return [
        h("div", { class: "hero" }, svg(ICONS.link, 48)),
        heading(s.clientName + " uses Plaid to connect your account"),
        h("ul", { class: "points" },
          point("lock", "Secure", "Encryption helps protect your personal financial data."),
          point("eye", "Private", "Your credentials will never be made accessible to " + s.clientName + ".")),
        h("div", { class: "grow" }),
        h("p", { class: "code" }, "By selecting \u201cContinue\u201d you agree to the Plaid End User Privacy Policy (simulated)."),
        primary("Continue", { "data-autofocus": true, onclick: function () { step("consent"); } }),
      ];
    },
    SELECT_INSTITUTION: function (answer) {
      var list = h("ul", { class: "list", "aria-label": "Institutions" });
      function fill(institutions) {
        list.replaceChildren();
        if (!institutions.length) {
          list.appendChild(h("li", { class: "empty" }, h("p", null, "No results. Try another name.")));
        }
        institutions.forEach(function (institution) {
          var host = institution.url ? institution.url.replace(/^https?:\/\/(www\.)?/, "") : "";
          list.appendChild(h("li", null, h("button", {
            type: "button", class: "institution",
            onclick: function () { step("institution", { institution_id: institution.institution_id }); },
          }, logo(institution), h("span", null, institution.name, host ? h("small", null, host) : null))));
        });
      }
      var input = h("input", {
        type: "search", id: "search", autocomplete: "off", placeholder: "Search", "data-autofocus": true,
        oninput: function () {
          clearTimeout(searchTimer);
          searchTimer = setTimeout(function () {
            search(input.value).then(function (found) {
              if (found && s.view === "SELECT_INSTITUTION") fill(found.institutions);
            });
          }, 250);
        },
        onkeydown: function (event) {
          var first = list.querySelector("button");
          if ((event.key === "ArrowDown" || event.key === "Enter") && first) {
            event.preventDefault();
            if (event.key === "Enter") first.click();
            else first.focus();
          }
        },
      });
      fill(answer.institutions || []);
      return [
        heading("Select your institution"),
        h("label", { for: "search", class: "sr-only" }, "Search for your institution"),
        input,
        list,
      ];
    },
    CREDENTIAL: function () {
      var form = h("form", { onsubmit: function (event) {
        event.preventDefault();
        step("credentials", { username: form.username.value, password: form.password.value });
      } },
        h("label", { class: "field", for: "username" }, "Username"),
        h("input", { type: "text", id: "username", name: "username", autocomplete: "off", required: true, "data-autofocus": true }),
        h("label", { class: "field", for: "password" }, "Password"),
        h("input", { type: "password", id: "password", name: "password", autocomplete: "off", required: true }),
        primary("Submit", { type: "submit" }),
        h("p", { class: "hint" }, "Sandbox: ", h("code", null, "user_good"), " / ", h("code", null, "pass_good"),
          "; MFA: ", h("code", null, "mfa_device"), "; errors: ", h("code", null, "error_ITEM_LOCKED")));
      return [
        institutionLine(),
        heading(s.updateMode ? "Reconnect your account" : "Enter your credentials"),
        h("p", null, "Log in with your " + (s.institution ? s.institution.name : "bank") + " online banking details."),
        form,
      ];
    },
    MFA: function (answer) {
      var mfa = answer.mfa;
      var form = h("form", { onsubmit: function (event) {
        event.preventDefault();
        var answers = mfa.questions.map(function (question, i) {
          if (!question.choices.length) return form.elements["q" + i].value;
          var picked = form.querySelector('input[name="q' + i + '"]:checked');
          return picked ? picked.value : "";
        });
        step("mfa", { answers: answers });
      } });
      mfa.questions.forEach(function (question, i) {
        if (!question.choices.length) {
          var label = mfa.mfa_type === "code" ? "Code" : question.text;
          form.appendChild(h("label", { class: "field", for: "q" + i }, label));
          form.appendChild(h("input", {
            type: "text", id: "q" + i, name: "q" + i, autocomplete: "one-time-code", required: true,
            inputmode: mfa.mfa_type === "code" ? "numeric" : null, "data-autofocus": i === 0,
          }));
          return;
        }
        var set = h("fieldset", null, h("legend", null, question.text));
        question.choices.forEach(function (choice, j) {
          set.appendChild(h("label", { class: "choice" },
            h("input", { type: "radio", name: "q" + i, value: choice, required: true, "data-autofocus": i === 0 && j === 0 }),
            h("span", null, choice)));
        });
        form.appendChild(set);
      });
      form.appendChild(primary("Submit", { type: "submit" }));
      var titles = { code: "Enter your verification code", questions: "Answer your security questions", selections: "Verify your identity" };
      var hint = { code: "Sandbox: the code is 1234.", questions: "Sandbox: each answer is shown in its question.", selections: "Sandbox: choose \u201cYes\u201d (or the first answer)." };
      return [
        institutionLine(),
        heading(titles[mfa.mfa_type] || "Verify your identity"),
        mfa.rounds > 1 ? h("p", null, "Step " + mfa.round + " of " + mfa.rounds) : null,
        form,
        h("p", { class: "hint" }, hint[mfa.mfa_type] || ""),
      ];
    },
    SELECT_ACCOUNT: function (answer) {
      var button = primary("Continue", { onclick: function () {
        var ids = Array.prototype.map.call(pane.querySelectorAll("input:checked"), function (box) { return box.value; });
        step("accounts", { account_ids: ids });
      } });
      var boxes = answer.accounts.map(function (account, i) {
        var id = "account" + i;
        return h("div", { class: "account" },
          h("input", { type: "checkbox", id: id, value: account.id, checked: true, "data-autofocus": i === 0,
            "aria-describedby": id + "-meta",
            onchange: function () { button.disabled = !pane.querySelector("input:checked"); } }),
          h("label", { for: id }, account.name),
          h("span", { class: "meta", id: id + "-meta" }, (account.subtype || account.type) + (account.mask ? " \u2022\u2022" + account.mask : "")));
      });
      return [institutionLine(), heading("Select accounts"),
        h("p", null, "Choose the accounts to share with " + s.clientName + ".")]
        .concat(boxes, [h("div", { class: "grow" }), button]);
    },
    CONNECTED: function () {
      return [
        h("div", { class: "hero" }, h("span", { class: "status-icon ok" }, svg(ICONS.check, 32))),
        h("div", { class: "center" },
          heading("Success"),
          h("p", null, "Your " + (s.institution ? s.institution.name + " " : "") + "account has been " +
            (s.updateMode ? "reconnected to " : "connected to ") + s.clientName + ".")),
        h("div", { class: "grow" }),
        primary("Continue", { "data-autofocus": true, onclick: finish }),
      ];
    },
    ERROR: function () {
      var error = s.error || {};
      return [
        h("div", { class: "hero" }, h("span", { class: "status-icon bad" }, svg(ICONS.alert, 32))),
        h("div", { class: "center" },
          heading("Something went wrong"),
          h("p", null, error.display_message || error.error_message || "Please try again later."),
          h("p", { class: "code" }, "Error code: " + (error.error_code || "unknown"))),
        h("div", { class: "grow" }),
        primary("Exit", { "data-autofocus": true, onclick: leave }),
      ];
    },
  };

  function render(answer) {
    var build = PANES[s.view];
    if (build) show(build(answer).filter(Boolean));
  }

  // -- wiring -------------------------------------------------------------------------------

  document.getElementById("close").addEventListener("click", leave);
  // A focus() made before the page focused the iframe is lost; make it again.
  window.addEventListener("focus", function () {
    if (document.activeElement === document.body) focusFirst();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      leave();
    }
  });
  window.addEventListener("message", function (event) {
    // Only the page that opened us (our parent) may ask us to close.
    if (event.source !== window.parent) return;
    var message = event.data;
    if (message && message.plaidLinkSimulator === 1 && message.type === "exit") leave();
  });

  call("start", { link_token: params.get("token") || "" }).then(function (answer) {
    if (!answer) return;
    s.id = answer.link_session_id;
    s.clientName = answer.client_name || s.clientName;
    s.updateMode = answer.update_mode;
    render(answer);
    post({ type: "ready" });
    if (s.leaveWhenStarted) leave();
  });
})();
