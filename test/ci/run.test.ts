import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/gwctl.js';
import { startNginx } from '../support/nginx.js';
import { freePort } from '../support/ports.js';

/*
 * .ci/run on a workstation: a package install may not start services (policy-rc.d answers 101
 * while apt-get runs, and only then), and a developer's own nginx keeps running. apt-get and npm
 * are stand-ins that record what they saw; everything else the script does is real.
 */

const TOOLS = ['dirname', 'rm', 'chmod', 'cat'];

/** A PATH holding only the stand-ins and the few tools the script needs: every package looks missing. */
function fakePath(dir: string, seen: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const tool of TOOLS) {
    const real = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    symlinkSync(real, join(bin, tool));
  }
  // apt-get records, at each call, the policy script invoke-rc.d would consult and what it answers.
  writeFileSync(
    join(bin, 'apt-get'),
    `#!/bin/sh\n{ echo "apt-get $1"; if [ -e "$GWCTL_CI_POLICY_RC_D" ]; then "$GWCTL_CI_POLICY_RC_D" nginx start; echo "policy $?"; else echo "policy none"; fi; } >> ${seen}\n`,
    { mode: 0o755 },
  );
  writeFileSync(join(bin, 'npm'), `#!/bin/sh\necho "npm $*" >> ${seen}\n`, { mode: 0o755 });
  return bin;
}

function runCi(dir: string, policy: string): { status: number | null; output: string; seen: string[] } {
  const seen = join(dir, 'seen');
  writeFileSync(seen, '');
  const r = spawnSync('/bin/bash', [join(REPO_ROOT, '.ci/run')], {
    env: { PATH: fakePath(dir, seen), HOME: dir, GWCTL_CI_POLICY_RC_D: policy },
    encoding: 'utf8',
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}`, seen: readFileSync(seen, 'utf8').trim().split('\n') };
}

async function ownNginx(dir: string) {
  const prefix = join(dir, 'developer-nginx');
  mkdirSync(join(prefix, 'logs'), { recursive: true });
  const port = await freePort();
  writeFileSync(
    join(prefix, 'nginx.conf'),
    `error_log logs/error.log notice;\npid logs/nginx.pid;\nevents {}\nhttp { access_log off; server { listen 127.0.0.1:${port}; return 204; } }\n`,
  );
  return startNginx(prefix, port);
}

function alive(pidFile: string): boolean {
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('.ci/run: installs with services held back by policy-rc.d (101), removes it after, and leaves a running nginx alone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gwctl-ci-run-'));
  const nginx = await ownNginx(dir);
  try {
    const policy = join(dir, 'policy-rc.d');
    const r = runCi(dir, policy);
    assert.equal(r.status, 0, r.output);
    assert.deepEqual(r.seen, [
      'apt-get update',
      'policy 101',
      'apt-get install',
      'policy 101',
      'npm ci --no-audit --no-fund',
      'npm run lint',
      'npm test',
    ]);
    assert.equal(existsSync(policy), false, 'the policy script placed for the install is removed');
    assert.equal(alive(join(nginx.prefix, 'logs/nginx.pid')), true, 'the developer nginx still runs');
  } finally {
    await nginx.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('.ci/run: a policy-rc.d the machine already has is used as it is and kept', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gwctl-ci-run-'));
  try {
    const policy = join(dir, 'policy-rc.d');
    const own = "#!/bin/sh\n# the administrator's own\nexit 104\n";
    writeFileSync(policy, own, { mode: 0o755 });
    const r = runCi(dir, policy);
    assert.equal(r.status, 0, r.output);
    assert.deepEqual(r.seen, [
      'apt-get update',
      'policy 104',
      'apt-get install',
      'policy 104',
      'npm ci --no-audit --no-fund',
      'npm run lint',
      'npm test',
    ]);
    assert.equal(readFileSync(policy, 'utf8'), own);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('.ci/run: a failed install still removes the policy script it placed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gwctl-ci-run-'));
  try {
    const policy = join(dir, 'policy-rc.d');
    const seen = join(dir, 'seen');
    const bin = fakePath(dir, seen);
    writeFileSync(join(bin, 'apt-get'), '#!/bin/sh\nexit 100\n', { mode: 0o755 });
    const r = spawnSync('/bin/bash', [join(REPO_ROOT, '.ci/run')], {
      env: { PATH: bin, HOME: dir, GWCTL_CI_POLICY_RC_D: policy },
      encoding: 'utf8',
    });
    assert.equal(r.status, 100, `${r.stdout}${r.stderr}`);
    assert.equal(existsSync(policy), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
