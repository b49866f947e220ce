import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The Android SDK's own tests (sdk/android/test.sh: javac + JUnit 5 from Debian's packages, against
 * a real hub process). `.ci/run` installs the packages; without them this says so in one line and skips.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const needed = ['/usr/bin/javac', '/usr/share/java/okhttp.jar', '/usr/share/java/okio.jar', '/usr/share/java/com.android.json.jar', '/usr/share/java/junit-platform-console-standalone.jar'];
const missing = needed.filter((path) => !existsSync(path));
if (missing.length > 0) console.log(`Android SDK tests skipped: ${missing.join(', ')} not found (apt-get install -y default-jdk-headless libokhttp-java libandroid-json-java junit5)`);

describe.skipIf(missing.length > 0)('Android SDK (Java, sdk/android/test.sh)', () => {
  it('compiles for Java 8, passes the Android API-surface check and its JVM tests against a real hub', async () => {
    const run = spawn('bash', ['sdk/android/test.sh'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    run.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    run.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => run.on('close', resolve));
    // The launcher's summary names each failed test; the whole output is the failure message.
    expect(code, output).toBe(0);
    expect(output).toMatch(/\[\s+0 tests failed\s+\]/);
  }, 600_000);
});
