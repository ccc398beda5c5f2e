/// <reference lib="dom" />
import { ApiError, type Role, type Setting, type UserInfo } from "../api.js";
import { h, replace } from "../dom.js";
import { errorText, messageLine, type Page, type PageContext, panel } from "../page.js";

const ROLES: readonly Role[] = ["viewer", "operator", "admin"];

function thresholdsPanel(ctx: PageContext): HTMLElement {
  const message = messageLine();
  const body = h("tbody", {});
  const load = async () => {
    const { settings, persistent } = await ctx.api.get<{ settings: Setting[]; persistent: boolean }>("/api/settings");
    if (!persistent) message.show("This gateway runs without a configuration file: changes last until restart.", "ok");
    replace(
      body,
      settings.map((s) => {
        const id = `setting-${s.name}`;
        const input = h("input", {
          id,
          type: "number",
          step: "any",
          value: s.value ?? "",
          "aria-describedby": `${id}-desc`,
          class: "setting-input",
        });
        const save = h("button", { type: "button", "aria-label": `Save ${s.name}` }, "Save");
        const reset = h(
          "button",
          { type: "button", "aria-label": `Reset ${s.name} to its default`, disabled: !s.configured },
          "Default",
        );
        const put = async (value: number | null) => {
          message.clear();
          save.disabled = true;
          try {
            const result = await ctx.api.send<{ message: string }>(
              "PUT",
              `/api/settings/${encodeURIComponent(s.name)}`,
              { value },
            );
            message.show(`${s.name}: ${result.message}`, "ok");
            ctx.store.invalidateBlocks();
            await load();
          } catch (error) {
            const where = error instanceof ApiError && error.path ? ` (${error.path})` : "";
            message.show(`${s.name}: ${errorText(error)}${where}`);
            input.setAttribute("aria-invalid", "true");
          } finally {
            save.disabled = false;
          }
        };
        save.addEventListener("click", () => {
          if (input.value.trim() === "" || !Number.isFinite(Number(input.value))) {
            message.show(`${s.name}: enter a number`);
            input.setAttribute("aria-invalid", "true");
            return;
          }
          void put(Number(input.value));
        });
        reset.addEventListener("click", () => void put(null));
        return h(
          "tr",
          {},
          h(
            "td",
            {},
            h("label", { for: id }, s.name),
            s.configured ? null : h("span", { class: "muted" }, " (default)"),
          ),
          h("td", { id: `${id}-desc`, class: "muted" }, s.description),
          h("td", { class: "num nowrap" }, input, h("span", { class: "unit" }, s.unit)),
          h("td", {}, save, " ", reset),
        );
      }),
    );
  };
  void load().catch((error) => message.show(errorText(error)));
  return panel(
    "Alarm thresholds",
    {},
    message,
    h(
      "table",
      { class: "data simple", "aria-label": "Alarm thresholds" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["Setting", "Meaning", "Value", ""].map((t) => h("th", { scope: "col" }, t)),
        ),
      ),
      body,
    ),
  );
}

function usersPanel(ctx: PageContext): HTMLElement {
  const message = messageLine();
  const body = h("tbody", {});
  const roleSelect = (id: string, selected: Role) =>
    h(
      "select",
      { id },
      ROLES.map((r) => h("option", { value: r, selected: r === selected }, r)),
    );
  const load = async () => {
    let users: UserInfo[];
    try {
      users = await ctx.api.get<UserInfo[]>("/api/users");
    } catch (error) {
      message.show(errorText(error));
      return;
    }
    replace(
      body,
      users.map((u) => {
        const select = roleSelect(`role-${u.name}`, u.roles[0] ?? "viewer");
        select.setAttribute("aria-label", `Role of ${u.name}`);
        select.addEventListener("change", async () => {
          try {
            await ctx.api.send("PUT", `/api/users/${encodeURIComponent(u.name)}`, { roles: [select.value] });
            message.show(`${u.name} is now ${select.value}.`, "ok");
          } catch (error) {
            message.show(errorText(error));
            await load();
          }
        });
        const remove = h(
          "button",
          { type: "button", class: "danger", "aria-label": `Delete user ${u.name}` },
          "Delete",
        );
        remove.addEventListener("click", async () => {
          if (!confirm(`Delete user ${u.name}?`)) return;
          try {
            await ctx.api.send("DELETE", `/api/users/${encodeURIComponent(u.name)}`);
            await load();
          } catch (error) {
            message.show(errorText(error));
          }
        });
        return h(
          "tr",
          {},
          h("td", {}, u.name),
          h("td", {}, select),
          h("td", {}, u.mustChangePassword ? h("span", { class: "pill s-warning" }, "must change password") : "–"),
          h("td", {}, String(u.keys.length)),
          h("td", {}, u.name === ctx.session.user ? h("span", { class: "muted" }, "you") : remove),
        );
      }),
    );
  };
  const name = h("input", { id: "new-user-name", autocomplete: "off", required: true });
  const password = h("input", {
    id: "new-user-password",
    type: "password",
    autocomplete: "new-password",
    required: true,
  });
  const role = roleSelect("new-user-role", "viewer");
  const form = h(
    "form",
    { class: "filters", "aria-label": "Add user" },
    h("label", { class: "field", for: "new-user-name" }, "User name", name),
    h("label", { class: "field", for: "new-user-password" }, "Initial password", password),
    h("label", { class: "field", for: "new-user-role" }, "Role", role),
    h("button", { type: "submit", class: "primary" }, "Add user"),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    message.clear();
    try {
      await ctx.api.send("POST", "/api/users", {
        name: name.value,
        password: password.value,
        roles: [role.value],
        mustChangePassword: true,
      });
      message.show(`Added ${name.value}; they choose a new password at first login.`, "ok");
      name.value = "";
      password.value = "";
      await load();
    } catch (error) {
      message.show(errorText(error));
    }
  });
  void load();
  return panel(
    "Users",
    {},
    message,
    h(
      "table",
      { class: "data simple", "aria-label": "Users" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["Name", "Role", "Password", "SSH keys", ""].map((t) => h("th", { scope: "col" }, t)),
        ),
      ),
      body,
    ),
    h("h2", { class: "subhead" }, "Add a user"),
    form,
  );
}

/** Protocols, notifications and the rest: the running configuration (secrets redacted) and a one-value editor. */
function configPanel(ctx: PageContext): HTMLElement {
  const message = messageLine();
  const view = h("pre", { class: "config", "aria-label": "Running configuration", tabindex: 0 });
  const path = h("input", { id: "config-path", placeholder: "protocols.http.liveInterval", size: 40 });
  const value = h("input", { id: "config-value", placeholder: '"2s" or 1502 or true', size: 30 });
  const form = h(
    "form",
    { class: "filters", "aria-label": "Change a configuration value" },
    h("label", { class: "field", for: "config-path" }, "Path", path),
    h("label", { class: "field", for: "config-value" }, "Value (JSON; empty = default)", value),
    h("button", { type: "submit", class: "primary" }, "Apply"),
  );
  const load = async () => {
    try {
      view.textContent = JSON.stringify(await ctx.api.get<unknown>("/api/config"), null, 2);
    } catch (error) {
      message.show(errorText(error));
    }
  };
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    message.clear();
    let parsed: unknown = null;
    if (value.value.trim() !== "") {
      try {
        parsed = JSON.parse(value.value);
      } catch {
        parsed = value.value;
      }
    }
    try {
      const result = await ctx.api.send<{ message: string; data?: { restartRequired?: boolean } }>(
        "PUT",
        "/api/config",
        {
          path: path.value,
          value: parsed,
        },
      );
      message.show(`${result.message}${result.data?.restartRequired ? " — takes effect after a restart" : ""}`, "ok");
      await load();
    } catch (error) {
      message.show(errorText(error));
    }
  });
  void load();
  return panel(
    "Protocols, notifications and other settings",
    {},
    message,
    form,
    h("div", { class: "config-wrap" }, view),
  );
}

/** Settings (admins): thresholds from the settings API, users, and the running configuration. */
export const settingsPage: Page = (ctx) => {
  ctx.setTitle("Settings");
  if (!ctx.hasRole("admin")) {
    ctx.root.append(
      h(
        "div",
        { class: "panel", role: "alert" },
        h("h2", {}, "Administrators only"),
        "Settings are for administrators. Ask an admin to change thresholds or users.",
      ),
    );
    return;
  }
  ctx.root.append(thresholdsPanel(ctx), usersPanel(ctx), configPanel(ctx));
};
