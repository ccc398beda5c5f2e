/// <reference lib="dom" />
import { h } from "./dom.js";

/**
 * A sortable table that renders only the rows in view (plus a margin), so a string of 10,000 blocks scrolls as
 * smoothly as one of 12. It stays a real <table> (header buttons, aria-sort, aria-rowcount/aria-rowindex): screen
 * readers and tests find rows and cells by role. Rows have one fixed height; spacer rows stand in for the rest.
 */

export interface Column<Row> {
  readonly key: string;
  readonly label: string;
  /** Sort key; undefined/NaN sort last. */
  sortValue?(row: Row): number | string | undefined;
  /** Fills the cell (text, status class); called for visible rows on every refresh. */
  render(row: Row, cell: HTMLTableCellElement): void;
  readonly numeric?: boolean;
  readonly width?: string;
}

export interface VirtualTableOptions<Row> {
  readonly label: string;
  readonly columns: readonly Column<Row>[];
  readonly rowKey: (row: Row) => string;
  /** Height of one row in px (must match the CSS). */
  readonly rowHeight?: number;
  readonly onRowActivate?: (row: Row) => void;
  /** Extra classes / attributes for a row (e.g. its status). */
  readonly decorateRow?: (row: Row, tr: HTMLTableRowElement) => void;
  readonly initialSort?: { key: string; descending?: boolean };
  readonly emptyText?: string;
}

const OVERSCAN = 8;

export class VirtualTable<Row> {
  readonly element: HTMLDivElement;
  private readonly table: HTMLTableElement;
  private readonly body: HTMLTableSectionElement;
  private readonly topSpacer: HTMLTableRowElement;
  private readonly bottomSpacer: HTMLTableRowElement;
  private readonly headers = new Map<string, HTMLTableCellElement>();
  private readonly rowHeight: number;
  private rows: Row[] = [];
  private sorted: Row[] = [];
  private sortKey: string | undefined;
  private descending = false;
  private framePending = false;
  private readonly rendered: HTMLTableRowElement[] = [];

  constructor(private readonly options: VirtualTableOptions<Row>) {
    this.rowHeight = options.rowHeight ?? 32;
    this.sortKey = options.initialSort?.key;
    this.descending = options.initialSort?.descending ?? false;
    const headRow = h("tr", { "aria-rowindex": 1 });
    for (const column of options.columns) {
      const th = h("th", { scope: "col", class: column.numeric ? "num" : undefined });
      if (column.width) th.style.width = column.width;
      if (column.sortValue) {
        th.append(h("button", { type: "button", class: "sort", onclick: () => this.sortBy(column.key) }, column.label));
      } else {
        th.append(column.label);
      }
      this.headers.set(column.key, th);
      headRow.append(th);
    }
    const colspan = options.columns.length;
    this.topSpacer = h("tr", { class: "spacer", "aria-hidden": "true" }, h("td", { colspan }));
    this.bottomSpacer = h("tr", { class: "spacer", "aria-hidden": "true" }, h("td", { colspan }));
    this.body = h("tbody", {}, this.topSpacer, this.bottomSpacer);
    this.table = h("table", { class: "data virtual", "aria-label": options.label }, h("thead", {}, headRow), this.body);
    this.element = h("div", { class: "table-scroll" }, this.table);
    this.element.addEventListener("scroll", () => this.schedule(), { passive: true });
    this.body.addEventListener("click", (e) => this.activate(e));
    this.body.addEventListener("keydown", (e) => {
      if (e.key === "Enter") this.activate(e);
    });
    this.updateSortHeaders();
  }

  /** Replaces the rows (keeps the sort and the scroll position). */
  setRows(rows: Row[]): void {
    this.rows = rows;
    this.applySort();
    this.render();
  }

  /** Re-renders the visible rows after their values changed (live updates); re-sorts only when asked. */
  refresh(resort = false): void {
    if (resort) this.applySort();
    this.schedule();
  }

  sortBy(key: string): void {
    if (this.sortKey === key) this.descending = !this.descending;
    else {
      this.sortKey = key;
      this.descending = false;
    }
    this.updateSortHeaders();
    this.applySort();
    this.render();
  }

  private updateSortHeaders(): void {
    for (const [key, th] of this.headers) {
      if (!this.options.columns.find((c) => c.key === key)?.sortValue) continue;
      th.setAttribute("aria-sort", key === this.sortKey ? (this.descending ? "descending" : "ascending") : "none");
    }
  }

  private applySort(): void {
    const column = this.options.columns.find((c) => c.key === this.sortKey);
    if (!column?.sortValue) {
      this.sorted = this.rows.slice();
      return;
    }
    const value = column.sortValue;
    const direction = this.descending ? -1 : 1;
    const keyed = this.rows.map((row) => ({ row, key: value(row) }));
    keyed.sort((a, b) => {
      const missingA = a.key === undefined || (typeof a.key === "number" && Number.isNaN(a.key));
      const missingB = b.key === undefined || (typeof b.key === "number" && Number.isNaN(b.key));
      if (missingA || missingB) return missingA === missingB ? 0 : missingA ? 1 : -1;
      if (a.key === b.key) return 0;
      return (a.key as number | string) < (b.key as number | string) ? -direction : direction;
    });
    this.sorted = keyed.map((k) => k.row);
  }

  private schedule(): void {
    if (this.framePending) return;
    this.framePending = true;
    requestAnimationFrame(() => {
      this.framePending = false;
      this.render();
    });
  }

  private activate(e: Event): void {
    const tr = (e.target as Element).closest("tr[data-index]");
    if (!tr || !this.options.onRowActivate) return;
    const row = this.sorted[Number(tr.getAttribute("data-index"))];
    if (row !== undefined) this.options.onRowActivate(row);
  }

  private render(): void {
    const total = this.sorted.length;
    this.table.setAttribute("aria-rowcount", String(total + 1));
    // The container grows with its rows up to its max-height: size the window by the screen, not by what is drawn.
    const viewport = Math.max(this.element.clientHeight, window.innerHeight);
    const headerHeight = this.table.tHead?.offsetHeight ?? this.rowHeight;
    const scrolled = Math.max(0, this.element.scrollTop - headerHeight);
    const first = Math.max(0, Math.floor(scrolled / this.rowHeight) - OVERSCAN);
    const last = Math.min(total, Math.ceil((scrolled + viewport) / this.rowHeight) + OVERSCAN);
    (this.topSpacer.firstElementChild as HTMLElement).style.height = `${first * this.rowHeight}px`;
    (this.bottomSpacer.firstElementChild as HTMLElement).style.height = `${(total - last) * this.rowHeight}px`;
    this.topSpacer.hidden = first === 0;
    this.bottomSpacer.hidden = last === total;
    const needed = last - first;
    while (this.rendered.length < needed) {
      const tr = h("tr", { tabindex: this.options.onRowActivate ? 0 : undefined });
      for (const column of this.options.columns) tr.append(h("td", { class: column.numeric ? "num" : undefined }));
      this.rendered.push(tr);
    }
    for (let i = 0; i < this.rendered.length; i++) {
      const tr = this.rendered[i] as HTMLTableRowElement;
      const row = i < needed ? this.sorted[first + i] : undefined;
      if (row === undefined) {
        if (tr.parentNode) tr.remove();
        continue;
      }
      tr.setAttribute("data-index", String(first + i));
      tr.setAttribute("aria-rowindex", String(first + i + 2));
      tr.setAttribute("data-key", this.options.rowKey(row));
      tr.className = this.options.onRowActivate ? "clickable" : "";
      this.options.decorateRow?.(row, tr);
      this.options.columns.forEach((column, c) => {
        column.render(row, tr.cells[c] as HTMLTableCellElement);
      });
      if (tr.parentNode !== this.body || tr.previousSibling !== (i === 0 ? this.topSpacer : this.rendered[i - 1]))
        this.body.insertBefore(tr, this.bottomSpacer);
    }
    if (total === 0 && this.options.emptyText) {
      this.topSpacer.hidden = false;
      const cell = this.topSpacer.firstElementChild as HTMLElement;
      cell.textContent = this.options.emptyText;
      cell.style.height = `${this.rowHeight}px`;
      cell.className = "empty";
      this.topSpacer.removeAttribute("aria-hidden");
    } else {
      const cell = this.topSpacer.firstElementChild as HTMLElement;
      cell.textContent = "";
      cell.className = "";
      this.topSpacer.setAttribute("aria-hidden", "true");
    }
  }
}
