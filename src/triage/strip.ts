/** The classifier strips quoted history and signatures with the shared text rules. */
export { stripQuotedAndSignature } from '../text/quoted.js';
