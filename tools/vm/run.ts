/**
 * `deno task vm -- [OPTIONS] SCRIPT [ARGS...]`: run a shell script inside the sched_ext test VM.
 *
 * The guest console streams to stdout; the last line says how the run ended. The exit status is the
 * script's own, or 241 boot failure, 242 kernel Oops/panic, 243 timeout, 244 harness error; 2 for a bad
 * command line. Options stop at SCRIPT: everything after it goes to the script.
 *
 * @module
 */

import { isTcgThreads, runInVm, TCG_THREADS, VM_EXIT, VmOptionError, type VmOptions } from "./vm.ts";
import { VmEnvError, VmSetupError } from "./layers.ts";
import { HostFileError } from "./host_files.ts";
import { QmpError } from "./qmp.ts";

const USAGE = `usage: deno task vm -- [OPTIONS] SCRIPT [ARGS...]
Boot the sched_ext test kernel under QEMU and run SCRIPT (busybox sh) in the guest's /work.
  --timeout S        scenario timeout in seconds (default 300)
  --boot-timeout S   boot timeout in seconds (default 120)
  --out DIR          where the guest's out/ is copied (default tools/vm/out/<run id>)
  --input-rate HZ    key events per second typed on the guest's PS/2 keyboard (default 0)
  --input-key QCODE  the key typed (default shift)
  --mem MIB          guest memory (default 768)
  --env NAME=VALUE   export a variable to the script (repeatable)
  --file GUEST=HOST  copy a host file into the guest (repeatable)
  --kernel-arg ARG   add a kernel command-line parameter (repeatable)
  --tcg single|multi|icount
                     how TCG runs the 2 vCPUs: taking turns on one host thread (default, the checked
                     recipe), one host thread each, running at once as on hardware (rarely the
                     guest kernel dies as sched_ext enables: see tools/vm/README.md), or taking
                     turns with the guest's clock counting instructions (costs, not latencies)
  --no-bundle        leave dist/scx_gamer.js out
Exit status: the script's, or ${VM_EXIT.bootFailure} boot failure, ${VM_EXIT.kernelCrash} kernel crash, \
${VM_EXIT.timeout} timeout, ${VM_EXIT.harnessError} harness error; 2 bad command line.`;

/** A bad command line; the message is the one line to print. */
class UsageError extends Error {
  override name = "UsageError";
}

interface Parsed {
  script: string;
  options: VmOptions;
}

function parse(argv: string[]): Parsed | "help" {
  const options: VmOptions = { args: [], env: {}, files: {} };
  const rest = argv[0] === "--" ? argv.slice(1) : argv;
  const num = (flag: string, raw: string | undefined): number => {
    const v = Number(raw);
    if (raw === undefined || raw.trim() === "" || !Number.isFinite(v)) {
      throw new UsageError(`${flag} '${raw ?? ""}': expected a number`);
    }
    return v;
  };
  const pair = (flag: string, raw: string | undefined): [string, string] => {
    const at = raw?.indexOf("=") ?? -1;
    if (raw === undefined || at <= 0) throw new UsageError(`${flag} '${raw ?? ""}': expected NAME=VALUE`);
    return [raw.slice(0, at), raw.slice(at + 1)];
  };
  let i = 0;
  for (; i < rest.length && rest[i].startsWith("--"); i++) {
    // --flag=value or --flag value; for --env=A=B the first "=" ends the flag.
    const eq = rest[i].indexOf("=");
    const [flag, inline] = eq > 0 ? [rest[i].slice(0, eq), rest[i].slice(eq + 1)] : [rest[i], undefined];
    const value = () => inline ?? rest[++i];
    switch (flag) {
      case "--help":
        return "help";
      case "--timeout":
        options.timeoutS = num(flag, value());
        break;
      case "--boot-timeout":
        options.bootTimeoutS = num(flag, value());
        break;
      case "--out":
        options.outDir = value();
        if (!options.outDir) throw new UsageError("--out: expected a folder");
        break;
      case "--input-rate":
        options.inputRateHz = num(flag, value());
        break;
      case "--input-key":
        options.inputKey = value();
        if (!options.inputKey) throw new UsageError("--input-key: expected a QEMU qcode such as shift");
        break;
      case "--mem":
        options.memMiB = num(flag, value());
        break;
      case "--env": {
        const [k, v] = pair(flag, value());
        options.env![k] = v;
        break;
      }
      case "--file": {
        const [g, h] = pair(flag, value());
        options.files![g] = h;
        break;
      }
      case "--kernel-arg": {
        const arg = value();
        if (!arg) throw new UsageError("--kernel-arg: expected a parameter such as loglevel=7");
        (options.kernelArgs ??= []).push(arg);
        break;
      }
      case "--tcg": {
        const tcg = value();
        if (!isTcgThreads(tcg)) {
          throw new UsageError(`--tcg '${tcg ?? ""}': expected ${TCG_THREADS.join(" or ")}`);
        }
        options.tcg = tcg;
        break;
      }
      case "--no-bundle":
        options.bundle = null;
        break;
      default:
        throw new UsageError(`unknown option '${rest[i]}' (see --help)`);
    }
  }
  if (i >= rest.length) throw new UsageError("missing SCRIPT (see --help)");
  options.args = rest.slice(i + 1);
  return { script: rest[i], options };
}

async function main(argv: string[]): Promise<number> {
  let parsed: Parsed | "help";
  try {
    parsed = parse(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`vm: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (parsed === "help") {
    console.log(USAGE);
    return 0;
  }
  const encoder = new TextEncoder();
  try {
    const result = await runInVm(parsed.script, {
      ...parsed.options,
      onConsole: (text) => Deno.stdout.writeSync(encoder.encode(text)),
    });
    if (result.outDir) console.log(`[vm] out/ copied to ${result.outDir}`);
    return result.status;
  } catch (e) {
    const known = [VmOptionError, VmSetupError, VmEnvError, HostFileError, QmpError];
    if (known.some((cls) => e instanceof cls)) {
      console.error(`vm: ${(e as Error).message}`);
      return e instanceof VmOptionError ? 2 : VM_EXIT.harnessError;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
