/**
 * Plant time: the time the battery lives in. Equal to wall time in the field; with the in-process simulator running
 * accelerated (`simulator.timeScale`), plant time runs `scale` times faster, so ampere-hours, durations, runtime
 * estimates and schedules agree with the simulated physics.
 */
export class PlantClock {
  private readonly origin: number;

  constructor(
    readonly scale = 1,
    private readonly wall: () => number = Date.now,
  ) {
    this.origin = wall();
  }

  /** Plant time now, ms since the epoch (starts at wall time when the gateway starts). */
  now(): number {
    return this.plantAt(this.wall());
  }

  /** Plant time of a wall-clock instant. */
  plantAt(wallMs: number): number {
    return this.origin + (wallMs - this.origin) * this.scale;
  }

  /** Wall-clock milliseconds a plant duration takes. */
  wallDuration(plantMs: number): number {
    return plantMs / this.scale;
  }
}
