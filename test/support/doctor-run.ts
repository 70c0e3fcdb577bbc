import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { channelRegistry } from '../../channels/registry.js';
import type { FakeOpenAI } from '../../fakes/fake-openai.js';
import type { FakeWeCom } from '../../fakes/fake-wecom.js';
import { runDoctor } from '../../src/doctor/run-doctor.js';
import { AES_KEY, AGENT_ID, CORP_ID, SECRET, TOKEN } from './weworktop-harness.js';

export interface DoctorLine {
  name: string;
  status: 'pass' | 'fail' | 'skip';
  detail: string;
  fix?: string;
}

export interface DoctorRun {
  code: number;
  /** What it printed (the JSON text with --json). */
  output: string;
  lines: DoctorLine[];
  line(name: string): DoctorLine;
  failed(): DoctorLine[];
}

/** A weworktop config against the fakes: every check passes unless a test changes something. */
export function doctorConfig(
  fakes: { wecom: FakeWeCom; openai: FakeOpenAI },
  core: Record<string, unknown> = {},
  section: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    channel_type: 'weworktop',
    open_ai_api_key: 'sk-doctor-test-0001',
    open_ai_api_base: fakes.openai.url,
    ...core,
    weworktop: {
      corp_id: CORP_ID,
      corp_secret: SECRET,
      agent_id: AGENT_ID,
      token: TOKEN,
      aes_key: AES_KEY,
      api_base: fakes.wecom.url,
      ...section,
    },
  };
}

/** `weworktop doctor --json --config <a file with config>` in a fresh directory (data_dir inside it). */
export async function runDoctorOn(config: Record<string, unknown>, args: string[] = []): Promise<DoctorRun> {
  const dir = mkdtempSync(path.join(tmpdir(), 'weworktop-doctor-'));
  const file = path.join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ data_dir: path.join(dir, 'data'), ...config }));
  let output = '';
  const code = await runDoctor({
    channels: channelRegistry,
    argv: ['--config', file, '--timeout', '3', '--json', ...args],
    env: {},
    cwd: dir,
    print: (text) => (output += text),
  });
  const lines = (JSON.parse(output) as { checks: DoctorLine[] }).checks;
  return {
    code,
    output,
    lines,
    line(name) {
      const found = lines.find((line) => line.name === name);
      if (!found) throw new Error(`no line "${name}" in ${output}`);
      return found;
    },
    failed: () => lines.filter((line) => line.status === 'fail'),
  };
}
