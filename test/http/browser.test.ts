/**
 * The web dashboard in a real browser: Debian's Chromium driven by playwright-core against a real gateway on the
 * simulator (4 strings x 120 blocks = 480, the demo size). Screenshots of the main pages go to
 * test-artifacts/http-browser/ (gitignored) for people to look at.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type BrowserContext, chromium, type Page } from "playwright-core";
// @ts-expect-error the build script is plain ESM JavaScript without type declarations
import { buildUi } from "../../scripts/build-ui.mjs";
import {
  allDevicesOk,
  sim,
  smallPlantYaml,
  startTestGateway,
  TEST_ADMIN,
  type TestGateway,
} from "../helpers/gateway.js";

const CHROMIUM = "/usr/bin/chromium";

const ARTIFACTS = join("test-artifacts", "http-browser");
const BAD = { stringId: 3, block: 57 };

const ADMIN = { user: "ada", password: "ada-admin-pw-2024" };
const VIEWER = { user: "vera", password: "vera-viewer-pw-2024" };
const NEWBIE = { user: "nina", password: "nina-initial-pw-2024" };

describe("web dashboard in Chromium", () => {
  let gateway: TestGateway;
  let base: string;
  let context: BrowserContext;
  let page: Page;
  const uiDir = mkdtempSync(join(tmpdir(), "bmsgw-ui-"));
  const profileDir = mkdtempSync(join(tmpdir(), "bmsgw-chromium-"));

  before(async () => {
    await buildUi({ outDir: uiDir, minify: true });
    gateway = await startTestGateway(
      smallPlantYaml({
        strings: 4,
        blocks: 120,
        extra: [
          "protocols:",
          `  http: { enabled: true, host: 127.0.0.1, port: 0, liveInterval: 300ms, uiAssetsDir: ${JSON.stringify(uiDir)} }`,
          "alarms: { raiseDelay: 200ms, clearDelay: 200ms }",
          "history: { interval: 1s }",
        ].join("\n"),
      }),
    );
    await allDevicesOk(gateway, 30_000);
    const users = gateway.auth.users;
    assert.ok(users, "local users are enabled");
    await users.add(TEST_ADMIN, ADMIN.user, ADMIN.password, ["admin"]);
    await users.add(TEST_ADMIN, VIEWER.user, VIEWER.password, ["viewer"]);
    await users.add(TEST_ADMIN, NEWBIE.user, NEWBIE.password, ["operator"], { mustChangePassword: true });
    const listener = gateway.listeners().find((l) => l.startsWith("https://"));
    assert.ok(listener, `an https listener in ${gateway.listeners().join(", ")}`);
    base = listener.replace(/\/$/, "");
    mkdirSync(ARTIFACTS, { recursive: true });
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      ignoreHTTPSErrors: true,
      viewport: { width: 1440, height: 900 },
      args: [
        "--no-sandbox",
        "--disable-background-networking",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
    // Script errors in the page fail the run loudly instead of showing up as a timeout somewhere else.
    page.on("pageerror", (error) => console.error(`page error: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error") console.error(`page console: ${message.text()}`);
    });
  });

  after(async () => {
    await context?.close();
    await gateway?.close();
    rmSync(uiDir, { recursive: true, force: true });
    rmSync(profileDir, { recursive: true, force: true });
  });

  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  async function logIn(user: { user: string; password: string }): Promise<void> {
    await page.goto(`${base}/`);
    await page.getByLabel("User name").fill(user.user);
    await page.getByLabel("Password", { exact: true }).fill(user.password);
    await page.getByRole("button", { name: "Sign in" }).click();
  }

  async function logOut(): Promise<void> {
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
  }

  it("refuses a wrong password on the login page and says so", async () => {
    await logIn({ user: ADMIN.user, password: "not-the-password" });
    await page.getByRole("alert").filter({ hasText: "Wrong user name or password" }).waitFor();
    await shot("login");
  });

  it("logs an admin in and shows every one of the 480 blocks with the four strings", async () => {
    await logIn(ADMIN);
    await page.getByRole("heading", { name: "Overview", level: 1 }).waitFor();
    const map = page.getByRole("list", { name: "Block map" });
    await map.getByRole("listitem").first().waitFor();
    assert.equal(await map.getByRole("listitem").count(), 480);
    const cards = page.getByRole("list", { name: "Strings" }).getByRole("listitem");
    assert.equal(await cards.count(), 4);
    // Live data arrived: no block is left grey once the simulator answers.
    await page.waitForFunction(() => document.querySelectorAll(".block-map .cell.s-stale").length === 0);
    await page.getByText("Live", { exact: true }).waitFor();
  });

  it("colours the block the simulator pushed over the high-voltage alarm red, without a reload", async () => {
    const before = await page.evaluate(() => performance.getEntriesByType("navigation").length);
    await sim(gateway, "set", `${BAD.stringId}/${BAD.block}`, "voltage", "15.2");
    const cell = page.getByRole("listitem", { name: `String ${BAD.stringId} block ${BAD.block}: Alarm` });
    await cell.waitFor();
    const colour = await cell.evaluate((el) => getComputedStyle(el).backgroundColor);
    assert.equal(colour, "rgb(214, 69, 69)", "the alarm red of the style sheet");
    // Only that block is red: found by its colour among all 480.
    const red = await page.$$eval(".block-map .cell", (cells) =>
      cells
        .filter((c) => getComputedStyle(c).backgroundColor === "rgb(214, 69, 69)")
        .map((c) => c.getAttribute("aria-label")),
    );
    assert.deepEqual(red, [`String ${BAD.stringId} block ${BAD.block}: Alarm`]);
    assert.equal(await page.evaluate(() => performance.getEntriesByType("navigation").length), before);
    await page.getByRole("link", { name: `String ${BAD.stringId}: Alarm` }).waitFor();
    await shot("overview");
  });

  it("shows the bad block first when the string table is sorted by voltage, coloured as an alarm", async () => {
    await page.getByRole("link", { name: `String ${BAD.stringId}: Alarm` }).click();
    await page.getByRole("heading", { name: `String ${BAD.stringId}`, level: 1 }).waitFor();
    const table = page.getByRole("table", { name: `Blocks of String ${BAD.stringId}` });
    await table.getByRole("button", { name: "Voltage (V)" }).click();
    await table.getByRole("button", { name: "Voltage (V)" }).click();
    const header = table.getByRole("columnheader", { name: "Voltage (V)" });
    assert.equal(await header.getAttribute("aria-sort"), "descending");
    const first = table.getByRole("row").nth(1);
    await page.waitForFunction(
      (block) =>
        document.querySelector("table.virtual tbody tr[data-index='0']")?.getAttribute("data-key") === String(block),
      BAD.block,
    );
    assert.equal(await first.getAttribute("data-status"), "alarm");
    const voltageCell = first.getByRole("cell").nth(1);
    assert.match((await voltageCell.textContent()) ?? "", /^15\.\d{3}$/);
    assert.equal(await voltageCell.evaluate((el) => el.classList.contains("v-alarm")), true);
    // 120 blocks, yet only the rows in view are in the DOM (virtualised), and the table says how many there are.
    assert.equal(await table.getAttribute("aria-rowcount"), "121");
    assert.ok((await table.locator("tbody tr[data-index]").count()) < 120);
    const chart = page.getByRole("img", { name: `Bar chart of the block voltages of String ${BAD.stringId}` });
    assert.equal(await chart.locator("canvas").count(), 1);
    await shot("string");
  });

  it("opens the bad block's history chart with its recorded samples and its alarm", async () => {
    const table = page.getByRole("table", { name: `Blocks of String ${BAD.stringId}` });
    await table.getByRole("row", { name: `Block ${BAD.block}` }).click();
    await page.getByRole("heading", { name: `String ${BAD.stringId} · Block ${BAD.block}`, level: 1 }).waitFor();
    const chart = page.getByRole("img", { name: "Voltage history chart" });
    await chart.locator("canvas").waitFor();
    const samples = Number(await chart.getAttribute("data-samples"));
    assert.ok(samples > 1, `history samples: ${samples}`);
    await page
      .getByRole("table", { name: `Alarms of block ${BAD.block}` })
      .getByRole("row")
      .filter({ hasText: "critical" })
      .first()
      .waitFor();
    const history = page.locator("section[aria-labelledby='panel-history']");
    // Range selection: the 6 h button asks the server for a longer range …
    await page.getByRole("button", { name: "6 h" }).click();
    assert.equal(await page.getByRole("button", { name: "6 h" }).getAttribute("aria-pressed"), "true");
    await page.locator("section[aria-labelledby='panel-history'][aria-busy='false']").waitFor();
    // … and dragging across the last minute of the 1 h chart zooms every chart into that minute.
    await page.getByRole("button", { name: "1 h" }).click();
    await page.locator("section[aria-labelledby='panel-history'][aria-busy='false']").waitFor();
    const over = chart.locator(".u-over");
    const box = await over.boundingBox();
    assert.ok(box);
    await page.mouse.move(box.x + box.width * 0.985, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width - 1, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await page.locator("section[aria-labelledby='panel-history'][aria-busy='false']").waitFor();
    const from = Number(await history.getAttribute("data-from"));
    const to = Number(await history.getAttribute("data-to"));
    assert.ok(to - from < 120_000 && to - from > 10_000, `zoomed range ${to - from} ms`);
    assert.equal(await page.locator("[aria-label='Time range'] [aria-pressed='true']").count(), 0);
    assert.ok(Number(await chart.getAttribute("data-samples")) > 1);
    await shot("block");
  });

  it("acknowledges the bad block's alarms on the alarms page", async () => {
    await page.getByRole("link", { name: /^Alarms/ }).click();
    await page.getByRole("heading", { name: "Alarms", level: 1 }).waitFor();
    await page.getByRole("combobox", { name: "String" }).selectOption(String(BAD.stringId));
    const table = page.getByRole("table", { name: "Active alarms" });
    const buttons = table.getByRole("button", { name: /^Acknowledge alarm/ });
    await buttons.first().waitFor();
    await shot("alarms");
    const count = await buttons.count();
    assert.ok(count >= 1);
    await buttons.first().click();
    await page.waitForFunction(
      (n) =>
        document.querySelectorAll("table[aria-label='Active alarms'] button[aria-label^='Acknowledge alarm']").length <
        n,
      count,
    );
    const acknowledged = gateway.model
      .current()
      .alarms.filter((a) => a.stringId === BAD.stringId && a.block === BAD.block && a.acknowledgedBy === ADMIN.user);
    assert.ok(acknowledged.length >= 1, "the gateway recorded the acknowledgement by the logged-in admin");
    await table.getByText(`by ${ADMIN.user}`).first().waitFor();
  });

  it("lists the events with a CSV export of the same filter, and the buses with their probes", async () => {
    await page.getByRole("link", { name: "Events" }).click();
    await page.getByRole("table", { name: "Events" }).getByRole("row").nth(1).waitFor();
    const href = await page.getByRole("link", { name: "Export CSV" }).getAttribute("href");
    assert.match(href ?? "", /^\/api\/events\.csv/);
    const csv = await page.evaluate(async (url) => (await fetch(url)).text(), href ?? "");
    assert.match(csv.split("\n")[0] ?? "", /seq/i);
    await shot("events");
    await page.getByRole("link", { name: "Buses & probes" }).click();
    await page.getByRole("table", { name: "Devices on bus bus1" }).waitFor();
    await shot("buses");
    await page.getByRole("link", { name: "Discharges" }).click();
    await page.getByRole("heading", { name: "Discharge records" }).waitFor();
  });

  it("shows admins the thresholds from the settings API and the users", async () => {
    await page.getByRole("link", { name: "Settings" }).click();
    await page.getByRole("table", { name: "Alarm thresholds" }).waitFor();
    const high = page.getByRole("spinbutton", { name: "blockVoltageHighAlarm" });
    await high.waitFor();
    assert.ok(Number(await high.inputValue()) > 13, "12 V block high alarm in volts");
    await page.getByRole("table", { name: "Users" }).getByRole("cell", { name: VIEWER.user, exact: true }).waitFor();
    await shot("settings");
    await logOut();
  });

  it("does not let a viewer reach the settings", async () => {
    await logIn(VIEWER);
    await page.getByRole("heading", { name: "Overview", level: 1 }).waitFor();
    const nav = page.getByRole("navigation", { name: "Main" });
    await nav.getByRole("link", { name: "Overview" }).waitFor();
    assert.equal(await nav.getByRole("link", { name: "Settings" }).count(), 0);
    await page.goto(`${base}/settings`);
    await page.getByRole("alert").filter({ hasText: "Settings are for administrators" }).waitFor();
    assert.equal(await page.getByRole("table", { name: "Alarm thresholds" }).count(), 0);
    const status = await page.evaluate(async () => (await fetch("/api/users")).status);
    assert.equal(status, 403);
    await logOut();
  });

  it("makes a user with a forced password change choose a new password before anything else", async () => {
    await logIn(NEWBIE);
    await page.getByRole("heading", { name: "Choose a new password" }).waitFor();
    await shot("password-change");
    await page.getByLabel("Current password").fill(NEWBIE.password);
    await page.getByLabel("New password", { exact: true }).fill("nina-new-pw-2024!");
    await page.getByLabel("Repeat new password").fill("nina-new-pw-2024!");
    await page.getByRole("button", { name: "Change password" }).click();
    await page.getByRole("heading", { name: "Overview", level: 1 }).waitFor();
    const nina = (await gateway.auth.users?.list(TEST_ADMIN))?.find((u) => u.name === NEWBIE.user);
    assert.equal(nina?.mustChangePassword, false);
  });
});
