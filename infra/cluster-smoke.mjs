// The cluster smoke check of infra/cluster-smoke.sh (read that first), in plain Node.js (20+, no packages):
//  1. live: alice on gateway A and bob on gateway B exchange direct messages and group messages; each push must arrive;
//  2. load: user pairs across A and B send direct and group messages, each waiting for its ack and resending the same
//     clientMsgId after an error, a timeout or a dropped connection (as PROTOCOL.md asks); after a few seconds
//     KILL_COMMAND runs (e.g. SIGKILL to a silo);
//  3. check: every acked message is in `sync` of the sender's timeline at its acked seq (and, for direct messages, in the
//     recipient's timeline), and no clientMsgId is stored twice.
// Settings (environment): A, B (gateway base URLs), SECONDS_OF_LOAD (20), KILL_AFTER (5), KILL_COMMAND (none), PAIRS (4).
import { execSync } from "node:child_process";

const A = process.env.A ?? "http://127.0.0.1:5200";
const B = process.env.B ?? "http://127.0.0.1:5201";
const loadSeconds = Number(process.env.SECONDS_OF_LOAD ?? 20);
const killAfter = Number(process.env.KILL_AFTER ?? 5);
const killCommand = process.env.KILL_COMMAND ?? "";
const pairs = Number(process.env.PAIRS ?? 4);
const run = Date.now().toString(36); // fresh user and group names on every run

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...args) => console.log("smoke:", ...args);
function fail(message) {
  console.error(`smoke: FAILED: ${message}`);
  process.exit(1);
}

async function token(base, user) {
  const response = await fetch(`${base}/api/dev/token`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user }),
  });
  if (!response.ok) fail(`POST ${base}/api/dev/token answered ${response.status}`);
  return (await response.json()).token;
}

/** One WebSocket connection: request() sends a frame with an id and resolves with the reply of that id. */
class Connection {
  static async open(base, user) {
    const c = new Connection(base, user, await token(base, user));
    await c.connect();
    return c;
  }

  constructor(base, user, tokenValue) {
    Object.assign(this, { base, user, tokenValue, nextId: 0, pending: new Map(), pushes: [], waiters: [] });
  }

  connect() {
    return new Promise((resolve, reject) => {
      const url = `${this.base.replace(/^http/, "ws")}/ws?access_token=${encodeURIComponent(this.tokenValue)}`;
      const ws = new WebSocket(url);
      ws.onopen = () => { this.ws = ws; resolve(); };
      ws.onerror = () => reject(new Error(`cannot connect ${this.user} to ${url.split("?")[0]}`));
      ws.onclose = () => {
        for (const { reject: r } of this.pending.values()) r(new Error("connection closed"));
        this.pending.clear();
      };
      ws.onmessage = (event) => this.receive(JSON.parse(event.data));
    });
  }

  receive(frame) {
    if (frame.type === "msg") {
      this.pushes.push(frame);
      for (const waiter of this.waiters.filter((w) => w.match(frame))) waiter.resolve(frame);
      this.waiters = this.waiters.filter((w) => !w.match(frame));
    } else if (frame.id !== undefined && this.pending.has(frame.id)) {
      const { resolve } = this.pending.get(frame.id);
      this.pending.delete(frame.id);
      resolve(frame);
    }
  }

  request(frame, timeoutMs = 10000) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error("not connected"));
    const id = String(++this.nextId);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.pending.delete(id); reject(new Error("no reply in time")); }, timeoutMs);
      this.pending.set(id, {
        resolve: (f) => { clearTimeout(timer); resolve(f); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      this.ws.send(JSON.stringify({ ...frame, id }));
    });
  }

  /** Resolves with the first push (past or future) that matches, or fails after timeoutMs. */
  push(match, what, timeoutMs = 10000) {
    const seen = this.pushes.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const timer = setTimeout(() => fail(`${this.user} got no push of ${what} within ${timeoutMs} ms`), timeoutMs);
      this.waiters.push({ match, resolve: (f) => { clearTimeout(timer); resolve(f); } });
    });
  }

  /** send, resent with the same clientMsgId until acked (after errors, timeouts and reconnects). */
  async send(to, clientMsgId, body, counters = { resends: 0 }) {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) counters.resends++;
      if (attempt > 30) fail(`${this.user}: ${clientMsgId} to ${to} not acked after 30 resends`);
      try {
        if (!this.ws || this.ws.readyState !== WebSocket.OPEN) await this.connect();
        const reply = await this.request({ type: "send", to, clientMsgId, body });
        if (reply.type === "ack") return reply;
        if (reply.code !== "unavailable" && reply.code !== "rate_limited") fail(`${this.user}: send ${clientMsgId}: ${JSON.stringify(reply)}`);
      } catch {
        // no reply or no connection: resend the same clientMsgId
      }
      await sleep(200 + Math.random() * 300);
    }
  }

  async ok(frame) {
    const reply = await this.request(frame);
    if (reply.type === "error") fail(`${this.user}: ${frame.type}: ${reply.code} ${reply.message}`);
    return reply;
  }

  /**
   * ok() for a frame the cluster may answer `unavailable` (or not at all) for a moment, e.g. while a grain's activation
   * waits for the log's reader on a busy machine: tried again up to 10 times, each retry logged. `done(reply)` says
   * whether an error on a retry means an earlier attempt took effect (group.create of this run's fresh name: conflict).
   */
  async okRetried(frame, done = () => false) {
    for (let attempt = 1; ; attempt++) {
      let reply;
      try {
        if (!this.ws || this.ws.readyState !== WebSocket.OPEN) await this.connect();
        reply = await this.request(frame);
      } catch (e) {
        reply = { type: "error", code: "unavailable", message: e.message };
      }
      if (reply.type !== "error" || (attempt > 1 && done(reply))) return reply;
      if (reply.code !== "unavailable" || attempt === 10) fail(`${this.user}: ${frame.type}: ${reply.code} ${reply.message}`);
      log(`${this.user}: ${frame.type} answered ${reply.code} (${reply.message}); trying again`);
      await sleep(500);
    }
  }

  createGroup(group, members) {
    return this.okRetried({ type: "group.create", group, members }, (reply) => reply.code === "conflict");
  }

  /** Every message of a timeline, from seq 1 on. */
  async syncAll(timeline) {
    const all = [];
    for (let after = 0; ;) {
      const page = await this.okRetried({ type: "sync", timeline, afterSeq: after, limit: 500 });
      all.push(...page.messages);
      if (!page.hasMore || page.messages.length === 0) return all;
      after = page.messages[page.messages.length - 1].seq;
    }
  }

  close() { this.ws?.close(); }
}

// 1. Live: direct and group messages between a client on A and one on B.
const alice = await Connection.open(A, `alice-${run}`);
const bob = await Connection.open(B, `bob-${run}`);
log(`${alice.user} on ${A}, ${bob.user} on ${B}`);

let ack = await alice.send(`user:${bob.user}`, "live-1", { text: "hi bob" });
let got = await bob.push((m) => m.msgId === ack.msgId, "alice's direct message");
log(`direct ${alice.user} -> ${bob.user}: acked ${ack.timeline}#${ack.seq}, pushed to bob as ${got.timeline}#${got.seq} "${got.body.text}"`);
ack = await bob.send(`user:${alice.user}`, "live-2", { text: "hi alice" });
got = await alice.push((m) => m.msgId === ack.msgId, "bob's direct message");
log(`direct ${bob.user} -> ${alice.user}: acked ${ack.timeline}#${ack.seq}, pushed to alice as ${got.timeline}#${got.seq} "${got.body.text}"`);

const group = `g-${run}`;
await alice.createGroup(group, [bob.user]);
ack = await alice.send(`group:${group}`, "live-3", { text: "hi group (alice)" });
got = await bob.push((m) => m.msgId === ack.msgId, "alice's group message");
log(`group ${group}, ${alice.user} -> bob: acked #${ack.seq}, pushed "${got.body.text}"`);
ack = await bob.send(`group:${group}`, "live-4", { text: "hi group (bob)" });
got = await alice.push((m) => m.msgId === ack.msgId, "bob's group message");
log(`group ${group}, ${bob.user} -> alice: acked #${ack.seq}, pushed "${got.body.text}"`);
alice.close();
bob.close();

// 2. Load across both gateways, with KILL_COMMAND after KILL_AFTER seconds.
const users = [];
for (let i = 0; i < pairs; i++) {
  users.push(await Connection.open(A, `load-a${i}-${run}`), await Connection.open(B, `load-b${i}-${run}`));
}
const loadGroup = `load-${run}`;
await users[0].createGroup(loadGroup, users.slice(1).map((u) => u.user));

const acked = []; // { sender, to, clientMsgId, timeline, seq, msgId }
const counters = { resends: 0 };
let stop = false;
async function sender(me, partner) {
  for (let n = 0; !stop; n++) {
    const to = n % 4 === 3 ? `group:${loadGroup}` : `user:${partner.user}`;
    const clientMsgId = `m-${n}`;
    const a = await me.send(to, clientMsgId, { text: `${me.user} ${n}` }, counters);
    acked.push({ sender: me, to, clientMsgId, timeline: a.timeline, seq: a.seq, msgId: a.msgId });
  }
}
const started = Date.now();
const senders = users.map((u, i) => sender(u, users[i ^ 1]));
const killer = (async () => {
  if (!killCommand) return;
  await sleep(killAfter * 1000);
  log(`after ${killAfter} s of load (${acked.length} acked): ${killCommand}`);
  try {
    execSync(killCommand, { stdio: "inherit" });
  } catch {
    fail(`${killCommand} failed`);
  }
})();
await sleep(loadSeconds * 1000);
stop = true;
await Promise.all([...senders, killer]);
const seconds = (Date.now() - started) / 1000;
log(`load: ${acked.length} sends acked in ${seconds.toFixed(1)} s by ${users.length} senders; ${counters.resends} resends`);

// 3. Every acked message is in sync, at its seq; no clientMsgId stored twice.
let missing = 0;
const timelines = new Map(); // timeline -> messages, read by a member
async function read(reader, timeline) {
  if (!timelines.has(timeline)) timelines.set(timeline, await reader.syncAll(timeline));
  return timelines.get(timeline);
}
for (const a of acked) {
  const own = await read(a.sender, a.timeline);
  if (!own.some((m) => m.seq === a.seq && m.msgId === a.msgId)) {
    missing++;
    console.error(`smoke: acked ${a.sender.user} ${a.clientMsgId} -> ${a.to} (${a.timeline}#${a.seq}) is not in sync`);
  }
  if (a.to.startsWith("user:")) {
    const recipient = users.find((u) => `user:${u.user}` === a.to);
    if (!(await read(recipient, a.to)).some((m) => m.msgId === a.msgId)) {
      missing++;
      console.error(`smoke: acked ${a.sender.user} ${a.clientMsgId} is not in the recipient's ${a.to}`);
    }
  }
}
let twice = 0;
for (const [timeline, messages] of timelines) {
  const seen = new Set();
  for (const m of messages.filter((x) => x.kind === "user")) {
    const key = `${m.from}/${m.clientMsgId}`;
    if (seen.has(key)) { twice++; console.error(`smoke: ${key} is stored twice in ${timeline}`); }
    seen.add(key);
  }
}
users.forEach((u) => u.close());
if (missing > 0 || twice > 0) fail(`${missing} acked messages missing from sync, ${twice} stored twice`);
log(`sync: all ${acked.length} acked messages found at their seq (${timelines.size} timelines read), none stored twice`);
log("PASSED");
process.exit(0);
