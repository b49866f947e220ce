import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ejs from 'ejs';

const VIEWS = fileURLToPath(new URL('../../views/acknowledgement/', import.meta.url));

export type TemplateName = 'acknowledgement' | 'incident' | 'incident-update' | 'incident-resolved' | 'escalation-mail';

/**
 * The plain-text messages the hub writes on its own (acknowledgements, incident updates, on-call
 * mail), from `views/acknowledgement/*.ejs`. A team rewords them by putting a file of the same
 * name in ACK_TEMPLATE_DIR; a broken override fails at start, not on a customer's first message.
 * Output is plain text (chat and text mail), so values are printed as they are: `<%- %>`.
 */
export class TextTemplates {
  private readonly compiled = new Map<TemplateName, ejs.TemplateFunction>();

  constructor(private readonly overrideDir?: string) {
    for (const name of ['acknowledgement', 'incident', 'incident-update', 'incident-resolved', 'escalation-mail'] as const) this.compile(name);
  }

  render(name: TemplateName, locals: Record<string, unknown>): string {
    const text = (this.compiled.get(name) ?? this.compile(name))(locals) as string;
    // Templates are written for reading; the output should not carry their layout gaps.
    return text
      .replace(/[ \t]+$/gm, '')
      .replace(/\n{3,}/g, '\n\n')
      .trim();
  }

  private compile(name: TemplateName): ejs.TemplateFunction {
    const override = this.overrideDir ? join(this.overrideDir, `${name}.ejs`) : null;
    const filename = override && existsSync(override) ? override : `${VIEWS}${name}.ejs`;
    let fn: ejs.TemplateFunction;
    try {
      fn = ejs.compile(readFileSync(filename, 'utf8'), { async: false, filename }) as ejs.TemplateFunction;
    } catch (error) {
      throw new Error(`template ${filename}: ${(error as Error).message}`);
    }
    this.compiled.set(name, fn);
    return fn;
  }
}
