/// <reference lib="dom" />
/**
 * The dashboard shell: session check, login and forced password change, the side navigation, and a small
 * history-API router (the server answers every extension-less path with index.html).
 */
import { Api, ApiError, type Role, type SessionInfo } from "./api.js";
import { h, replace, setText } from "./dom.js";
import { errorText, messageLine, type Page, type PageContext } from "./page.js";
import { alarmsPage } from "./pages/alarms.js";
import { blockPage } from "./pages/block.js";
import { busesPage } from "./pages/buses.js";
import { dischargesPage } from "./pages/discharges.js";
import { eventsPage } from "./pages/events.js";
import { overviewPage } from "./pages/overview.js";
import { settingsPage } from "./pages/settings.js";
import { stringPage } from "./pages/string-view.js";
import { LiveStore } from "./store.js";

interface Route {
  readonly pattern: RegExp;
  readonly keys: readonly string[];
  readonly page: Page;
  /** Which navigation entry is highlighted. */
  readonly nav: string;
}

const route = (path: string, page: Page, nav: string): Route => {
  const keys: string[] = [];
  const pattern = new RegExp(
    `^${path.replace(/:([a-z]+)/g, (_m, key: string) => {
      keys.push(key);
      return "([^/]+)";
    })}/?$`,
  );
  return { pattern, keys, page, nav };
};

const ROUTES: readonly Route[] = [
  route("/", overviewPage, "/"),
  route("/strings/:id", stringPage, "/strings"),
  route("/strings", stringPage, "/strings"),
  route("/strings/:id/blocks/:block", blockPage, "/strings"),
  route("/alarms", alarmsPage, "/alarms"),
  route("/events", eventsPage, "/events"),
  route("/discharges", dischargesPage, "/discharges"),
  route("/discharges/:id", dischargesPage, "/discharges"),
  route("/buses", busesPage, "/buses"),
  route("/settings", settingsPage, "/settings"),
];

const NAV: readonly { path: string; label: string; roles?: Role[] }[] = [
  { path: "/", label: "Overview" },
  { path: "/strings", label: "Strings" },
  { path: "/alarms", label: "Alarms" },
  { path: "/events", label: "Events" },
  { path: "/discharges", label: "Discharges" },
  { path: "/buses", label: "Buses & probes" },
  { path: "/settings", label: "Settings", roles: ["admin"] },
];

const api = new Api();
const app = document.getElementById("app") as HTMLElement;
let store: LiveStore | undefined;
const cleanups: (() => void)[] = [];
let shell: ReturnType<typeof buildShell> | undefined;
let session: SessionInfo | undefined;

function runCleanups(): void {
  for (const cleanup of cleanups.splice(0)) {
    try {
      cleanup();
    } catch (error) {
      console.error("page cleanup failed", error);
    }
  }
}

function navigate(path: string, replaceState = false): void {
  if (replaceState) history.replaceState(null, "", path);
  else if (path !== location.pathname + location.search) history.pushState(null, "", path);
  void render();
}

function buildShell(current: SessionInfo, live: LiveStore) {
  const links = new Map<string, HTMLAnchorElement>();
  const alarmBadge = h("span", { class: "nav-badge", hidden: true, "aria-label": "unacknowledged alarms" });
  const items = NAV.filter((n) => !n.roles || n.roles.some((r) => current.roles.includes(r))).map((n) => {
    const a = h("a", { href: n.path }, h("span", {}, n.label), n.path === "/alarms" ? alarmBadge : null);
    links.set(n.path, a);
    return h("li", {}, a);
  });
  const siteName = h("span", {}, live.plant?.site.name ?? "");
  const title = h("h1", {});
  const subtitle = h("span", { class: "muted" });
  const liveState = h("span", { class: "live", role: "status" }, "connecting");
  const content = h("main", { class: "content", id: "content", tabindex: -1 });
  const logout = h("button", { type: "button", onclick: () => void logOut() }, "Log out");
  const root = h(
    "div",
    { class: "app" },
    h(
      "aside",
      { class: "sidebar" },
      h("div", { class: "brand" }, h("strong", {}, "Battery Monitor"), siteName),
      h("nav", { "aria-label": "Main" }, h("ul", {}, items)),
      h(
        "div",
        { class: "user" },
        h("div", {}, "Signed in as ", h("strong", { "data-testid": "user" }, current.user)),
        h("div", { class: "muted" }, current.roles.join(", ")),
        logout,
      ),
    ),
    h(
      "div",
      { class: "main" },
      h("header", { class: "topbar" }, title, subtitle, h("span", { class: "spacer" }), liveState),
      content,
    ),
  );
  const updateBadge = () => {
    const count = live.alarms.filter((a) => a.acknowledgedAt === undefined).length;
    alarmBadge.hidden = count === 0;
    setText(alarmBadge, String(count));
  };
  const updateLive = () => {
    liveState.classList.toggle("connected", live.connected);
    setText(liveState, live.connected ? "Live" : "Reconnecting…");
  };
  live.on("alarms", updateBadge);
  live.on("connection", updateLive);
  live.on("plant", () => setText(siteName, live.plant?.site.name ?? ""));
  updateBadge();
  return {
    root,
    content,
    setTitle(text: string, sub = "") {
      setText(title, text);
      setText(subtitle, sub);
      document.title = `${text} · Battery Monitor`;
    },
    highlight(nav: string) {
      for (const [path, a] of links) {
        if (path === nav) a.setAttribute("aria-current", "page");
        else a.removeAttribute("aria-current");
      }
    },
  };
}

async function render(): Promise<void> {
  runCleanups();
  if (!session || !store || !shell) return;
  const path = location.pathname;
  const match = ROUTES.map((r) => ({ r, m: r.pattern.exec(path) })).find((x) => x.m);
  const content = shell.content;
  replace(content);
  if (!match?.m) {
    shell.setTitle("Not found");
    content.append(
      h("div", { class: "panel" }, "There is no page at this address. ", h("a", { href: "/" }, "Overview")),
    );
    return;
  }
  const params: Record<string, string> = {};
  match.r.keys.forEach((key, i) => {
    params[key] = decodeURIComponent(match.m?.[i + 1] ?? "");
  });
  shell.highlight(match.r.nav);
  const current = session;
  const ctx: PageContext = {
    api,
    store,
    session: current,
    root: content,
    navigate: (to) => navigate(to),
    setTitle: (t, s) => shell?.setTitle(t, s),
    hasRole: (...roles) => roles.some((r) => current.roles.includes(r)),
    onCleanup: (fn) => cleanups.push(fn),
  };
  try {
    await match.r.page(ctx, params);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return;
    const line = messageLine();
    line.show(`This page could not be loaded: ${errorText(error)}`);
    content.append(line);
  }
}

async function startSession(current: SessionInfo): Promise<void> {
  session = current;
  if (current.mustChangePassword) {
    showPasswordChange(current);
    return;
  }
  store = new LiveStore(api);
  await store.start();
  shell = buildShell(current, store);
  replace(app, shell.root);
  if (location.pathname === "/login") history.replaceState(null, "", "/");
  await render();
}

function endSession(): void {
  runCleanups();
  store?.stop();
  store = undefined;
  shell = undefined;
  session = undefined;
}

async function logOut(): Promise<void> {
  try {
    await api.logout();
  } finally {
    endSession();
    showLogin();
  }
}

function showLogin(notice?: string): void {
  document.title = "Sign in · Battery Monitor";
  const message = messageLine();
  if (notice) message.show(notice, "ok");
  const user = h("input", { id: "login-user", name: "username", autocomplete: "username", required: true });
  const password = h("input", {
    id: "login-password",
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h(
    "form",
    { class: "login-box", "aria-labelledby": "login-title" },
    h("h1", { id: "login-title" }, "Battery Monitor"),
    h("p", {}, "Sign in with your gateway account."),
    h("label", { class: "field", for: "login-user" }, "User name", user),
    h("label", { class: "field", for: "login-password" }, "Password", password),
    message,
    submit,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    submit.disabled = true;
    message.clear();
    try {
      await startSession(await api.login(user.value, password.value));
    } catch (error) {
      message.show(
        error instanceof ApiError && error.status === 401 ? "Wrong user name or password." : errorText(error),
      );
      password.value = "";
      password.focus();
    } finally {
      submit.disabled = false;
    }
  });
  replace(app, h("div", { class: "login-page" }, form));
  user.focus();
}

function showPasswordChange(current: SessionInfo): void {
  document.title = "Change password · Battery Monitor";
  const message = messageLine();
  const field = (id: string, label: string, autocomplete: string) => {
    const input = h("input", { id, type: "password", autocomplete, required: true });
    return { input, label: h("label", { class: "field", for: id }, label, input) };
  };
  const currentPw = field("pw-current", "Current password", "current-password");
  const next = field("pw-new", "New password", "new-password");
  const repeat = field("pw-repeat", "Repeat new password", "new-password");
  const submit = h("button", { type: "submit", class: "primary" }, "Change password");
  const form = h(
    "form",
    { class: "login-box", "aria-labelledby": "pw-title" },
    h("h1", { id: "pw-title" }, "Choose a new password"),
    h("p", {}, `${current.user}, your password must be changed before you continue.`),
    currentPw.label,
    next.label,
    repeat.label,
    message,
    submit,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    message.clear();
    if (next.input.value !== repeat.input.value) {
      message.show("The new passwords do not match.");
      return;
    }
    submit.disabled = true;
    try {
      await api.send("POST", "/api/password", {
        currentPassword: currentPw.input.value,
        newPassword: next.input.value,
      });
      await startSession(await api.session());
    } catch (error) {
      message.show(errorText(error));
    } finally {
      submit.disabled = false;
    }
  });
  replace(app, h("div", { class: "login-page" }, form));
  currentPw.input.focus();
}

api.onUnauthorized = () => {
  if (!session) return;
  endSession();
  showLogin("Your session has ended. Please sign in again.");
};

document.addEventListener("click", (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.target as Element).closest("a");
  if (!a || a.target || a.hasAttribute("download")) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
});
window.addEventListener("popstate", () => void render());

async function boot(): Promise<void> {
  try {
    await startSession(await api.session());
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) console.error(error);
    showLogin();
  }
}

void boot();
