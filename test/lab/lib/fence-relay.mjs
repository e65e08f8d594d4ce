// The network half of the lab's fence server. The lab starts it inside its network namespace
// (`ip netns exec pmsapp-lab node fence-relay.mjs <address> <port> <node,node,...>`), because only a
// process in the namespace can listen on 10.99.0.1; the power itself stays with the Lab object in the
// parent, which does the kill/start with its own methods.
//
// Guest side: one request line "<action> [<node>]\n" (at most 128 bytes, within 5 s), one answer line.
// Parent side (stdin/stdout, JSON lines): {"id","action","node","peer"} out, {"id","reply"} in.
// Only the lab's node names and the fence-agents actions are accepted; anything else is answered with
// "ERR ..." and never reaches the parent. The relay exits when its stdin closes (the parent is gone).
import { createServer } from "node:net";
import { createInterface } from "node:readline";

const MAX_REQUEST = 128;
const REQUEST_WINDOW_MS = 5_000;
const ACTION_TIMEOUT_MS = 180_000;
const ACTIONS = new Set(["off", "on", "reboot", "status", "monitor", "list"]);
const NEEDS_NODE = new Set(["off", "on", "reboot", "status"]);

const [address, portText, nodesText] = process.argv.slice(2);
const port = Number(portText);
const nodes = new Set((nodesText ?? "").split(",").filter(Boolean));
if (address === undefined || !Number.isInteger(port) || port <= 0 || port > 65535 || nodes.size === 0) {
  process.stderr.write("usage: fence-relay.mjs <address> <port> <node,node,...>\n");
  process.exit(2);
}

/** Parse one request line; returns {action,node} or {error}. Exported shape is mirrored in fence-server.ts. */
function parse(line) {
  const words = line.trim().split(/\s+/).filter(Boolean);
  const [action, node, extra] = words;
  if (action === undefined) return { error: "empty request" };
  if (!ACTIONS.has(action)) return { error: `unknown action ${JSON.stringify(action.slice(0, 20))}` };
  if (extra !== undefined) return { error: "too many words in the request" };
  if (NEEDS_NODE.has(action)) {
    if (node === undefined) return { error: `${action} needs a node name` };
    if (!nodes.has(node)) return { error: `not a node of this lab: ${JSON.stringify(node.slice(0, 40))}` };
  } else if (node !== undefined) {
    return { error: `${action} takes no node name` };
  }
  return { action, node };
}

let nextId = 1;
const pending = new Map();

function send(message) {
  process.stdout.write(JSON.stringify(message) + "\n");
}

const server = createServer((socket) => {
  let buffer = "";
  let done = false;
  const finish = (answer) => {
    if (done) return;
    done = true;
    clearTimeout(window);
    socket.end(answer.endsWith("\n") ? answer : answer + "\n");
  };
  const window = setTimeout(() => finish("ERR no complete request line within 5 s"), REQUEST_WINDOW_MS);
  socket.setEncoding("latin1");
  socket.on("error", () => undefined);
  socket.on("data", (chunk) => {
    if (done) return;
    buffer += chunk;
    const nl = buffer.indexOf("\n");
    if (nl < 0 && buffer.length <= MAX_REQUEST) return;
    if (nl < 0 || nl > MAX_REQUEST) return finish(`ERR request longer than ${MAX_REQUEST} bytes`);
    clearTimeout(window);
    const parsed = parse(buffer.slice(0, nl));
    if (parsed.error !== undefined) return finish(`ERR ${parsed.error}`);
    const id = nextId++;
    const timer = setTimeout(() => {
      pending.delete(id);
      finish(`ERR ${parsed.action} did not finish within ${ACTION_TIMEOUT_MS / 1000} s`);
    }, ACTION_TIMEOUT_MS);
    pending.set(id, (reply) => {
      clearTimeout(timer);
      finish(reply);
    });
    send({ id, action: parsed.action, node: parsed.node ?? null, peer: socket.remoteAddress ?? "?" });
  });
});

createInterface({ input: process.stdin }).on("line", (line) => {
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    return;
  }
  const answer = pending.get(msg.id);
  if (answer === undefined || typeof msg.reply !== "string") return;
  pending.delete(msg.id);
  answer(msg.reply);
});
process.stdin.on("end", () => process.exit(0));

server.on("error", (e) => {
  process.stderr.write(`fence relay: ${e.message}\n`);
  process.exit(1);
});
server.listen(port, address, () => send({ listening: `${address}:${port}` }));
