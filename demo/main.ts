/**
 * `npm run demo`: the whole loop against fake vendors, on a throwaway store. Prints the URLs and a
 * dashboard login; Ctrl-C stops everything and deletes the store.
 */
import { startDemo } from './demo.js';
import { exitWithUsageIfAsked } from '../src/cli/usage.js';

// Before anything is read or opened: `--help` only prints the usage.
exitWithUsageIfAsked({
  synopsis: 'npm run demo',
  description: 'The whole loop against fake Help Scout, Zendesk, Stripe and GitHub servers on a throwaway store: prints the URLs of a customer site with the chat widget, an agent console and the dashboard (with a login). Nothing leaves this machine; Ctrl-C stops everything and deletes the demo’s data.',
  environment: [
    ['PORT', 'the hub’s HTTP port (default 3000, or any free port)'],
    ['SMTP_PORT', 'the hub’s SMTP listener for mail to support@acme.demo (default 2525, or any free port)'],
    ['LOG_LEVEL', 'the hub’s log level (default warn)'],
  ],
});

/** A port from the environment, as the hub reads PORT and SMTP_PORT; a bad value stops here with a sentence. */
function portFromEnv(name: 'PORT' | 'SMTP_PORT'): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    console.error(`demo: ${name} must be a port number from 1 to 65535 (got "${value}")`);
    process.exit(2);
  }
  return port;
}

const [port, smtpPort] = [portFromEnv('PORT'), portFromEnv('SMTP_PORT')];
const demo = await startDemo({ ...(port !== undefined ? { port } : {}), ...(smtpPort !== undefined ? { smtpPort } : {}), logLevel: process.env['LOG_LEVEL'] ?? 'warn' }).catch((error: NodeJS.ErrnoException & { port?: number }) => {
  // A port asked for with PORT or SMTP_PORT that something else holds: say which, not a stack trace.
  if (error.code !== 'EADDRINUSE') throw error;
  console.error(`demo: port ${error.port ?? '?'} is in use; choose another with ${error.port === smtpPort ? 'SMTP_PORT' : 'PORT'}`);
  process.exit(1);
});
const { urls, dashboardLogin } = demo;
console.log(`
Support Hub demo is running (fake Help Scout, Zendesk, Stripe and GitHub; nothing leaves this machine).

  1. Chat as a customer:      ${urls.customerSite}
     (pick Ada, open the chat bubble, write something urgent)
  2. Agent console:           ${urls.agentConsole}
     (the fake helpdesks: conversations, the sidebar card with the Stripe plan, reply box;
      also the GitHub issues the hub opened and the mail it sent)
  3. Triage dashboard:        ${urls.dashboard}
     log in as ${dashboardLogin.email} with password ${dashboardLogin.password}

  Hub: ${urls.hub}  (health: ${urls.hub}/readyz, metrics: ${urls.hub}/metrics)
  Mail to support@acme.demo: smtp://127.0.0.1:${demo.hub.smtpPort} (synced to the fake Zendesk)

Ctrl-C stops everything and deletes the demo's data.
`);

let stopping = false;
const shutdown = () => {
  if (stopping) return;
  stopping = true;
  console.log('stopping the demo…');
  setTimeout(() => process.exit(1), 15_000).unref();
  demo.stop().then(
    () => {
      console.log('demo stopped; nothing left running');
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
