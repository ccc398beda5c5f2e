import type { HealthReport, HealthReporter, HealthState } from "../core/adapter.js";

/** One health entry per component, in the shared vocabulary. */
export class HealthRegistry {
  private readonly reports = new Map<
    string,
    { state: HealthState; text: string; listeners: string[]; counters: Record<string, number> }
  >();

  /** `onChange` hears every state change (not text-only updates). */
  constructor(private readonly onChange: (component: string, state: HealthState, text: string) => void = () => {}) {}

  reporter(component: string): HealthReporter {
    const entry = {
      state: "starting" as HealthState,
      text: "",
      listeners: [] as string[],
      counters: {} as Record<string, number>,
    };
    this.reports.set(component, entry);
    return {
      set: (state, text = "") => {
        const changed = entry.state !== state;
        entry.state = state;
        entry.text = text;
        if (changed) this.onChange(component, state, text);
      },
      listening: (address) => {
        entry.listeners.push(address);
      },
      count: (counter, increment = 1) => {
        entry.counters[counter] = (entry.counters[counter] ?? 0) + increment;
      },
    };
  }

  all(): HealthReport[] {
    return [...this.reports].map(([component, e]) => ({
      component,
      state: e.state,
      text: e.text,
      listeners: [...e.listeners],
      counters: { ...e.counters },
    }));
  }
}
