import { integrations } from '../../integrations/index.js';
import { configTable } from './table.js';

console.log(configTable(integrations));
