/// <reference lib="dom" />
import type { Api, Role, SessionInfo } from "./api.js";
import { h } from "./dom.js";
import type { LiveStore } from "./store.js";

/** What every page gets from the shell. A page registers its cleanups (listeners, charts) with `onCleanup`. */
export interface PageContext {
  readonly api: Api;
  readonly store: LiveStore;
  readonly session: SessionInfo;
  /** The content area below the top bar. */
  readonly root: HTMLElement;
  navigate(path: string): void;
  setTitle(title: string, subtitle?: string): void;
  hasRole(...roles: Role[]): boolean;
  onCleanup(cleanup: () => void): void;
}

export type Page = (ctx: PageContext, params: Readonly<Record<string, string>>) => void | Promise<void>;

/** A white panel with a heading row (title, optional controls on the right). */
export function panel(
  title: string,
  options: { controls?: Node[]; flush?: boolean; id?: string } = {},
  ...children: Node[]
): HTMLElement {
  const headingId = options.id ?? `panel-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return h(
    "section",
    { class: options.flush ? "panel flush" : "panel", "aria-labelledby": headingId },
    h(
      "div",
      { class: "panel-head" },
      h("h2", { id: headingId }, title),
      h("span", { class: "spacer" }),
      options.controls ?? [],
    ),
    ...children,
  );
}

/** An inline message line (errors get role=alert so screen readers announce them). */
export function messageLine(): HTMLElement & { show(text: string, kind?: "error" | "ok"): void; clear(): void } {
  const el = h("div", { class: "message", hidden: true }) as unknown as HTMLElement & {
    show(text: string, kind?: "error" | "ok"): void;
    clear(): void;
  };
  el.show = (text, kind = "error") => {
    el.textContent = text;
    el.className = `message ${kind}`;
    el.setAttribute("role", kind === "error" ? "alert" : "status");
    el.hidden = false;
  };
  el.clear = () => {
    el.hidden = true;
    el.textContent = "";
  };
  return el;
}

export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
