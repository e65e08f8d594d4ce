/**
 * pmsappd: the node daemon (dist/pmsappd.cjs, started by the pmsappd service).
 *   pmsappd [--config FILE]     run (env PMSAPP_CONF also names the config file)
 *   pmsappd --check [--config FILE]   validate the config and the token file, then exit
 * Exit codes: 0 stopped cleanly / config valid; 2 bad usage; 6 invalid config (nothing started);
 * 1 could not start (socket in use, cannot listen) or crashed.
 * Logs: JSON lines (pino) on stderr, for the journal; nothing on stdout.
 */
import pino from "pino";
import { createExecaRunner } from "../../agents/system/execa-runner.js";
import { configPath, loadConfig, readTokenFile } from "../config/config.js";
import { resolveGroup } from "../config/group.js";
import { Daemon } from "./daemon.js";

const USAGE = `usage: pmsappd [--config FILE] [--check]
  --config FILE  configuration (default /etc/pmsapp/pmsappd.conf, or $PMSAPP_CONF)
  --check        validate the configuration and exit (0 valid, 6 invalid)
exit codes: 0 ok, 1 could not start, 2 bad usage, 6 invalid configuration`;

async function main(argv: string[]): Promise<number> {
  let file = configPath();
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--config" && argv[i + 1] !== undefined) file = argv[++i] as string;
    else if (a === "--check") check = true;
    else if (a === "--help" || a === "-h") {
      process.stdout.write(USAGE + "\n");
      return 0;
    } else {
      process.stderr.write(`pmsappd: unknown argument '${a}'\n${USAGE}\n`);
      return 2;
    }
  }
  const loaded = loadConfig(file, file === "/etc/pmsapp/pmsappd.conf");
  if (!loaded.ok) {
    for (const e of loaded.errors) process.stderr.write(`pmsappd: ${e}\n`);
    process.stderr.write("pmsappd: invalid configuration; nothing started\n");
    return 6;
  }
  const config = loaded.config;
  if (config.tcpListen !== undefined) {
    const t = readTokenFile(config.tokenFile);
    if (!t.ok) {
      process.stderr.write(`pmsappd: tcp_listen is set but ${t.reason}\n`);
      return 6;
    }
  }
  if (config.socketGroup !== undefined) {
    const g = resolveGroup(config.socketGroup);
    if (!g.ok) {
      process.stderr.write(`pmsappd: ${g.reason}\n`);
      return 6;
    }
  }
  if (check) {
    process.stderr.write(`pmsappd: ${file}: configuration valid (node ${config.nodeName})\n`);
    return 0;
  }
  const log = pino({ name: "pmsappd", level: config.logLevel, base: { node: config.nodeName } }, pino.destination(2));
  let daemon: Daemon;
  try {
    daemon = new Daemon({ config, configFile: file, runner: createExecaRunner(), log });
    await daemon.start();
  } catch (e) {
    log.error({ err: String(e) }, "pmsappd could not start");
    return 1;
  }
  return await new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, "stopping");
      void daemon.stop().then(() => resolve(0));
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
    process.on("SIGHUP", () => {
      daemon.reload();
      daemon.reloadToken();
    });
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`pmsappd: ${String(e)}\n`);
    process.exit(1);
  },
);
