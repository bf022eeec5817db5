import assert from "node:assert/strict";
import { defaultDataDir, MANUAL_DATA_DIR, SERVICE_DATA_DIR } from "../lib/store/data_dir.ts";

Deno.test("run by hand the data folder is ./ml_data", () => {
  assert.equal(defaultDataDir(new Map([["HOME", "/home/u"], ["SUDO_UID", "1000"]])), MANUAL_DATA_DIR);
  assert.equal(MANUAL_DATA_DIR, "./ml_data");
});

Deno.test("run by systemd the data folder is its state directory, else /var/lib/scx_gamer", () => {
  assert.equal(
    defaultDataDir(new Map([["STATE_DIRECTORY", "/var/lib/scx_gamer:/var/lib/other"]])),
    "/var/lib/scx_gamer",
  );
  assert.equal(defaultDataDir(new Map([["INVOCATION_ID", "0123abcd"]])), SERVICE_DATA_DIR);
  assert.equal(
    defaultDataDir(new Map([["INVOCATION_ID", "0123abcd"], ["STATE_DIRECTORY", "/srv/state"]])),
    "/srv/state",
  );
});

Deno.test("a relative STATE_DIRECTORY is not trusted as the service's folder", () => {
  assert.equal(
    defaultDataDir(new Map([["STATE_DIRECTORY", "rel/dir"], ["INVOCATION_ID", "x"]])),
    SERVICE_DATA_DIR,
  );
});
