// Sharing the cadre's position while on duty, sparing the battery.
//
// The phone watches its position (navigator.geolocation.watchPosition) and,
// once per interval, keeps the latest fix if it moved meaningfully since the
// last one kept (or if the last one is getting old, so the desk knows the
// cadre is still there). Kept fixes go through the action queue, which sends
// them in batches: one request per interval online, one for the whole gap
// after a stretch without signal.
//
// The interval is the server's position_interval_s, slowed down 4x when the
// battery is low and not charging (Battery Status API, where there is one),
// 3x while the page is hidden, never slower than MAX_INTERVAL_S; GPS's high
// accuracy is given up on a low battery.
"use strict";

const MOVED_M = 25; // less than this (or than the fix's own accuracy) is standing still
const STALE_S = 600; // a still cadre's position is still sent every 10 minutes
const MAX_INTERVAL_S = 900;
const LOW_BATTERY = 0.2;

export function metres(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_000 * Math.asin(Math.sqrt(h));
}

export function fixOf(position) {
  const c = position.coords;
  return {
    lon: Number(c.longitude.toFixed(6)),
    lat: Number(c.latitude.toFixed(6)),
    accuracy_m: Math.round(c.accuracy),
    at: new Date(position.timestamp || Date.now()).toISOString(),
  };
}

export class PositionSharer {
  // queue: field_queue.Queue; onState({interval, slow, error}); onFix(fix)
  constructor(queue, url, hooks) {
    this.queue = queue;
    this.url = url;
    this.hooks = hooks;
    this.base = 30;
    this.on = false;
    this.watch = null;
    this.timer = null;
    this.latest = null;
    this.kept = null;
    this.battery = null;
    this.error = null;
    this.highAccuracy = null;
    document.addEventListener("visibilitychange", () => this.reschedule());
    if (navigator.getBattery) {
      navigator
        .getBattery()
        .then((battery) => {
          this.battery = battery;
          battery.addEventListener("levelchange", () => this.reschedule());
          battery.addEventListener("chargingchange", () => this.reschedule());
          this.reschedule();
        })
        .catch(() => {});
    }
  }

  lowBattery() {
    return !!this.battery && !this.battery.charging && this.battery.level <= LOW_BATTERY;
  }

  interval() {
    let seconds = this.base;
    if (this.lowBattery()) seconds *= 4;
    if (document.visibilityState === "hidden") seconds *= 3;
    return Math.min(MAX_INTERVAL_S, Math.max(5, seconds));
  }

  start(baseSeconds) {
    this.base = Number(baseSeconds) > 0 ? Number(baseSeconds) : 30;
    this.on = true;
    this.reschedule();
  }

  stop() {
    this.on = false;
    this.reschedule();
  }

  watchPosition() {
    const high = !this.lowBattery();
    if (this.watch !== null && this.highAccuracy === high) return;
    if (this.watch !== null) navigator.geolocation.clearWatch(this.watch);
    this.highAccuracy = high;
    this.watch = navigator.geolocation.watchPosition(
      (position) => {
        this.latest = fixOf(position);
        this.error = null;
        this.hooks.onFix?.(this.latest);
        if (this.kept === null) this.tick(); // the first fix goes out at once
        this.report();
      },
      (error) => {
        this.error = error;
        this.report();
      },
      { enableHighAccuracy: high, maximumAge: 15_000, timeout: 60_000 }
    );
  }

  reschedule() {
    clearInterval(this.timer);
    this.timer = null;
    if (!this.on || !navigator.geolocation) {
      if (this.watch !== null) navigator.geolocation.clearWatch(this.watch);
      this.watch = null;
      this.report();
      return;
    }
    this.watchPosition();
    this.timer = setInterval(() => this.tick(), this.interval() * 1000);
    this.report();
  }

  report() {
    this.hooks.onState?.({
      on: this.on,
      interval: this.interval(),
      slow: this.interval() > this.base,
      error: this.error,
    });
  }

  async tick() {
    const fix = this.latest;
    if (!this.on || fix === null) return;
    if (this.kept !== null) {
      const moved = metres(this.kept, fix);
      const age = (Date.parse(fix.at) - Date.parse(this.kept.at)) / 1000;
      const still = moved < Math.max(MOVED_M, fix.accuracy_m || 0);
      if (still && age < STALE_S) return; // nothing new for the desk: no send
    }
    this.kept = fix;
    await this.queue.addPosition(this.url, fix);
  }
}
