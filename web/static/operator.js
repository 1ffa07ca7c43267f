// The operators' dashboard keeps itself current: it polls the JSON of the same figures the
// server rendered and redraws the live sections. No build step; CSP-safe (no inline code).
"use strict";
(function () {
  var root = document.getElementById("dashboard");
  if (!root) { return; }
  var source = root.getAttribute("data-source");
  var every = parseInt(root.getAttribute("data-refresh-ms"), 10) || 5000;
  var en = document.documentElement.lang === "en";
  var SVG = "http://www.w3.org/2000/svg";

  function t(zh, english) { return en ? english : zh; }
  function label(value) { return value ? (en ? value.en || value.zh : value.zh || value.en) : ""; }
  var local = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23"  // "00:00" at midnight, never "24:00"
  });
  // An instant as Nanchang's local time, "2021-06-16 17:00" as web.i18n.local_time (with `seconds`, "…17:00:05").
  function when(iso, seconds) {
    if (!iso) { return "—"; }
    var parts = {};
    local.formatToParts(new Date(iso)).forEach(function (p) { parts[p.type] = p.value; });
    return parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute +
      (seconds ? ":" + parts.second : "");
  }
  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }
  function badge(text, extra) { return el("span", text, {"class": "badge " + (extra || "")}); }
  function row(cells, attrs) {
    var tr = el("tr", null, attrs);
    cells.forEach(function (c) {
      var td = el("td");
      if (c instanceof Node) { td.appendChild(c); } else { td.textContent = c === null || c === undefined ? "—" : String(c); }
      tr.appendChild(td);
    });
    return tr;
  }
  function fill(id, items, make) {
    var target = document.getElementById(id);
    if (!target) { return; }
    var nodes = [].concat.apply([], items.map(make));  // `make` may give one node or several
    target.replaceChildren.apply(target, nodes);
  }
  function stateName(data, state) { return label(data.state_labels[state]) || state; }
  // A phase, window, job or breaker state in words (the server's `terms`), or the code itself if unknown.
  function termOf(data, kind, code) { return label(((data.terms || {})[kind] || {})[code]) || code; }
  // A clause id as the active ruleset words it (the server's `clauses`), or the id itself if it does not.
  function clauseOf(data, id) { return label((data.clauses || {})[id]) || id; }
  function stateBadge(data, kind, code, extra) {
    var node = badge(termOf(data, kind, code), extra);
    node.setAttribute("data-term", kind);
    node.setAttribute("data-value", code);
    return node;
  }

  // A phase or window past its due time by the season clock whose boundary has not fired.
  function overdueBadge(id) {
    var node = badge(t("逾期未执行", "overdue, not run"), "bad");
    node.setAttribute("data-testid", "overdue-" + id);
    return node;
  }

  function drawPhases(data) {
    fill("phase-list", data.timeline.phases, function (p) {
      var li = el("li", null, {"class": "phase" + (p.current ? " current" : ""), "data-testid": "phase-" + p.id,
                               "data-current": p.current ? "true" : "false"});
      li.appendChild(el("span", label(p.label), {"class": "phase-name"}));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", when(p.starts_at) + " – " + when(p.ends_at) + " · " + clauseOf(data, p.clause), {"class": "muted"}));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(stateBadge(data, "phase_state", p.state, "state-" + p.state));
      if (p.overdue) { li.appendChild(document.createTextNode(" ")); li.appendChild(overdueBadge(p.id)); }
      if (p.current) { li.appendChild(document.createTextNode(" ")); li.appendChild(badge(t("当前", "now"), "ok now-marker")); }
      return li;
    });
    fill("window-rows", data.timeline.windows, function (w) {
      var state = el("span");
      state.appendChild(stateBadge(data, "window_state", w.state));
      if (w.overdue) { state.appendChild(document.createTextNode(" ")); state.appendChild(overdueBadge(w.id)); }
      if (w.open_now) { state.appendChild(document.createTextNode(" ")); state.appendChild(badge(t("开放中", "open"), "ok")); }
      return row([label(w.label), w.districts.concat(w.groups).join("、"), when(w.opens_at), when(w.closes_at), state],
                 {"data-testid": "window-" + w.id, "class": w.open_now ? "current" : ""});
    });
  }

  function drawCounts(data) {
    document.getElementById("count-total").textContent = data.counts.total;
    fill("state-rows", Object.keys(data.counts.by_state), function (s) {
      return row([stateName(data, s), data.counts.by_state[s]], {"data-testid": "state-" + s});
    });
    fill("district-rows", Object.keys(data.counts.by_district_state), function (d) {
      var states = data.counts.by_district_state[d];
      var text = Object.keys(states).map(function (s) { return stateName(data, s) + " " + states[s]; }).join(" · ");
      return row([d, data.counts.by_district[d], text], {"data-testid": "district-" + d});
    });
  }

  function drawRate(data) {
    var chart = document.getElementById("rate-chart");
    var peak = data.rate.reduce(function (m, p) { return Math.max(m, p.count); }, 0);
    chart.setAttribute("viewBox", "0 0 " + data.rate.length * 10 + " 100");
    chart.replaceChildren.apply(chart, data.rate.map(function (p, i) {
      var h = peak ? p.count / peak * 96 : 0;
      var rect = document.createElementNS(SVG, "rect");
      rect.setAttribute("x", i * 10 + 1); rect.setAttribute("y", 100 - h);
      rect.setAttribute("width", 8); rect.setAttribute("height", h);
      var title = document.createElementNS(SVG, "title");
      title.textContent = when(p.minute) + ": " + p.count;
      rect.appendChild(title);
      return rect;
    }));
    document.getElementById("rate-peak").textContent = peak;
  }

  function drawHeartbeat(data) {
    var beat = data.scheduler;
    var warning = document.getElementById("scheduler-warning");
    warning.textContent = label(beat.warning);
    warning.hidden = !beat.warning;
    document.getElementById("scheduler-heartbeat").setAttribute("data-stale", beat.stale ? "true" : "false");
    document.getElementById("scheduler-seen").textContent = beat.seen
      ? t("最近心跳 ", "last seen ") + when(beat.seen_at, true) +
        t("（" + Math.round(beat.age_seconds) + " 秒前）", " (" + Math.round(beat.age_seconds) + " s ago)") + " · " +
        beat.host + " · " + t("进程 ", "pid ") + beat.pid + " · " + t("下一任务 ", "next ") + (beat.next_job_id || "—")
      : t("从未上报心跳", "never seen");
  }

  function drawJobs(data) {
    fill("job-rows", data.jobs, function (j) {
      return row([j.job_id, when(j.due_at), stateBadge(data, "job_state", j.status, j.status === "failed" || j.status === "overdue" ? "bad" : ""),
                  j.last_run ? when(j.last_run.season_time) : "—",
                  j.last_run ? termOf(data, "job_outcome", j.last_run.outcome) : "—"], {"data-testid": "job-" + j.job_id});
    });
    // A source's row, then one per plugin that answered it (or none: breaker open, nobody answered).
    function figures(h) {
      return [h.calls, (h.failure_rate * 100).toFixed(1) + "%", h.p95_latency_ms === null ? "—" : Math.round(h.p95_latency_ms)];
    }
    fill("connector-rows", data.connectors, function (c) {
      return [row([c.source].concat(figures(c), [stateBadge(data, "breaker", c.breaker, "breaker-" + c.breaker),
                                                c.worker_calls]), {"data-testid": "connector-" + c.source})]
        .concat(c.plugins.map(function (p) {
          var name = p.plugin || t("无插件作答（熔断拒绝或无人作答）", "none (breaker open, or no plugin answered)");
          return row(["└ " + name].concat(figures(p), ["", ""]),
                     {"class": "plugin-row", "data-testid": "connector-" + c.source + "-plugin-" + (p.plugin || "")});
        }));
    });
    fill("audit-rows", data.audit, function (e) {
      return row([e.seq, when(e.at), e.actor + " (" + label(e.words.role) + ")", label(e.words.subject),
                  label(e.words.action) + (e.words.to ? " → " + label(e.words.to) : "")]);
    });
  }

  function draw(data) {
    var phase = document.getElementById("season-phase");
    phase.textContent = label(data.timeline.season_phase_label);
    phase.setAttribute("data-phase", data.season.phase);
    var now = document.getElementById("season-now");
    now.textContent = when(data.timeline.now);
    now.setAttribute("datetime", data.timeline.now);
    drawPhases(data);
    drawCounts(data);
    drawRate(data);
    drawHeartbeat(data);
    drawJobs(data);
    drawIncidents(data);
  }

  function retryForm(action, testid) {
    var form = el("form", null, {"method": "post", "class": "inline", "action": action});
    var token = document.querySelector("input[name=csrf_token]");
    form.appendChild(el("input", null, {"type": "hidden", "name": "csrf_token", "value": token ? token.value : ""}));
    form.appendChild(el("button", t("重试", "Retry"), {"type": "submit", "class": "secondary", "data-testid": testid}));
    return form;
  }

  function drawIncidents(data) {
    var none = function () { return [el("li", t("无", "None"), {"class": "muted"})]; };
    var stuck = document.getElementById("stuck-list");
    stuck.replaceChildren.apply(stuck, data.incidents.stuck.length ? data.incidents.stuck.map(function (a) {
      var li = el("li", "#" + a.id + " · " + a.district + " · " + t("已等待 ", "waiting ") + a.waiting_minutes +
                  t(" 分钟 ", " min "), {"data-testid": "stuck-" + a.id});
      li.appendChild(retryForm(root.getAttribute("data-retry-url").replace("/0/", "/" + a.id + "/"),
                               "retry-application-" + a.id));
      return li;
    }) : none());
    var failed = document.getElementById("failed-job-list");
    failed.replaceChildren.apply(failed, data.incidents.failed_jobs.length ? data.incidents.failed_jobs.map(function (j) {
      var li = el("li", j.job_id + " · " + when(j.last_run.season_time) + " · " + label(j.last_run.reason) + " ",
                  {"data-testid": "failed-job-" + j.job_id});
      li.appendChild(retryForm(root.getAttribute("data-retry-job-url").replace("/JOB/", "/" + encodeURIComponent(j.job_id) + "/"),
                               "retry-job-" + j.job_id));
      return li;
    }) : none());
    var overdue = document.getElementById("overdue-job-list");
    overdue.replaceChildren.apply(overdue, data.incidents.overdue_jobs.length ? data.incidents.overdue_jobs.map(function (j) {
      return el("li", j.job_id + " · " + t("应于 ", "due ") + when(j.due_at) + t(" 执行", ""), {"data-testid": "overdue-job-" + j.job_id});
    }) : none());
    drawUndecided(data, none);
  }

  // Submitted applications nobody decided, per district, each state linked to the review queue filtered.
  function drawUndecided(data, none) {
    var undecided = data.incidents.undecided;
    var deadline = document.getElementById("undecided-deadline");
    deadline.hidden = !undecided;
    if (undecided) {
      var at = undecided.deadline_text;
      deadline.textContent = undecided.passed
        ? t("审核已于" + at.zh + "截止，以下申请未作决定，分配时将没有学位",
            "review closed at " + at.en + "; these applications were never decided and get no seat")
        : t("审核将于" + at.zh + "截止，以下申请尚未作出决定", "review closes at " + at.en + "; these applications are not decided yet");
    }
    var list = document.getElementById("undecided-list");
    var queue = root.getAttribute("data-queue-url");
    list.replaceChildren.apply(list, undecided ? undecided.districts.map(function (d) {
      var li = el("li", d.district, {"data-testid": "undecided-" + d.district});
      Object.keys(d.states).forEach(function (s) {
        li.appendChild(document.createTextNode(" · "));
        li.appendChild(el("a", stateName(data, s) + " " + d.states[s], {
          "href": queue + "?" + new URLSearchParams({"state": s, "district": d.district}).toString(),
          "data-testid": "undecided-" + d.district + "-" + s}));
      });
      return li;
    }) : none());
  }

  function status(text, bad) {
    var node = document.getElementById("refresh-status");
    node.textContent = text;
    node.className = bad ? "badge bad" : "muted";
  }

  function poll() {
    fetch(source, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        draw(data);
        root.setAttribute("data-refreshed-at", new Date().toISOString());
        status(t("已刷新 ", "refreshed ") + new Date().toLocaleTimeString(), false);
      })
      .catch(function (error) { status(t("刷新失败：", "refresh failed: ") + error.message, true); })
      .then(function () { setTimeout(poll, every); });
  }
  setTimeout(poll, every);
})();
