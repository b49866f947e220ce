import type { AnyIntegration } from '../src/capabilities/integration.js';
import { github } from './github/index.js';
import { helpscout } from './helpscout/index.js';
import { pagerduty } from './pagerduty/index.js';
import { product } from './product/index.js';
import { slack } from './slack/index.js';
import { stripe } from './stripe/index.js';
import { zendesk } from './zendesk/index.js';

/**
 * The registry: an explicit list of every integration the hub ships. To add a helpdesk, an
 * account-data source or an escalation target, add its folder beside this file (an `index.ts`
 * exporting `defineIntegration({ … })`) and list it here. See README.md in this folder.
 */
export const integrations: AnyIntegration[] = [helpscout, zendesk, stripe, product, github, slack, pagerduty];
