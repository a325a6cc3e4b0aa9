/**
 * `tapflow setup [--force]`: installs the Temporal CLI (the dev server and its Web UI) and the
 * time-skipping test server into the per-user cache, for `tapflow dev` and `tapflow/testing`
 * from an installed package. A checkout has `npm run setup` instead.
 */
import { installTemporalBinaries } from '../devstack/install-binaries';
import { print, printJson, type GlobalOptions } from './io';

/** Options of `setup`. */
export interface SetupOptions extends GlobalOptions {
  force?: boolean;
}

/** Installs what is missing and prints where the binaries are. */
export function setupCommand(options: SetupOptions): number {
  const done = installTemporalBinaries({ force: options.force, log: (line) => process.stderr.write(`tapflow: ${line}\n`) });
  if (options.json) {
    printJson({ binDir: done.binDir, temporal: done.temporal, testServer: done.testServer, installed: done.installed });
  } else {
    print(
      `temporal     ${done.temporal}`,
      `test server  ${done.testServer}`,
      done.installed.length ? `installed    ${done.installed.join(', ')}` : 'both were installed already (--force installs them again)',
    );
  }
  return 0;
}
