// gwctl from its compiled modules (dist/src), not the bundle: CPU profiles of this attribute time
// to gwctl's own directories and packages (a bundle's chunks mix them). Used by run.ts --profile.
import { runCli } from '../src/cli.js';

runCli();
