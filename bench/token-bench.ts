import type { ChatMessage } from '../src/backends/chat-bot.js';
import { fitHistory, TokenCounter } from '../src/session/tokens.js';
import type { Turn } from '../src/session/turn.js';

export interface TokenSettings {
  model: string;
  historyTokens: number;
  /** conversation_max_tokens: below historyTokens, so every message trims. */
  budget: number;
}

export interface TokenResult {
  settings: TokenSettings;
  historyTurns: number;
  historyTokens: number;
  /** Turns fitHistory drops to meet the budget. */
  dropped: number;
  /** Loading the model's BPE ranks, once at start-up. */
  loadMs: number;
  questionTokens: number;
  answerTokens: number;
  /** Microseconds per operation. */
  countQuestionUs: number;
  countAnswerUs: number;
  fitHistoryUs: number;
  /** What the pipeline does per message: count the question and the answer once, fit the history on cached counts. */
  perMessageUs: number;
  /** For comparison: re-tokenizing the whole history on every message (what the cached counts avoid). */
  recountHistoryUs: number;
}

// A bilingual chat, as WeCom users write: Chinese questions, mixed answers with a little markdown.
const QUESTIONS = [
  '请帮我把这段话翻译成英文：下周一的项目评审会改到下午三点，地点在三楼大会议室，请大家提前准备好材料。',
  'How do I reset my VPN password if I am travelling and cannot reach the office network?',
  '报销差旅费需要哪些单据？酒店发票抬头写公司全称还是简称？',
  'Can you summarise the main differences between our old and new leave policy in three bullet points?',
];
const ANSWERS = [
  'Here is the translation: "The project review meeting next Monday has been moved to 3 p.m. in the large meeting room on the third floor; please prepare your materials in advance." 需要我再调整语气吗？',
  '1. Open the self-service portal at https://vpn.example.com/reset\n2. Verify with the SMS code sent to your registered phone\n3. Choose a new password (at least 12 characters)\nIf the SMS does not arrive, call the IT hotline 8000.',
  '差旅报销需要：**行程单或登机牌**、**酒店发票**（抬头必须是公司全称，税号填写完整）、**出租车或地铁票据**。超过 500 元的单笔支出还需要部门负责人审批。',
  '- Annual leave now accrues monthly instead of yearly.\n- Unused days carry over for 6 months (previously 3).\n- Sick leave no longer needs a certificate for absences under 2 days.',
];

/** Token counting and history trimming as the pipeline does them, for a conversation of historyTokens. */
export function runTokenBench(settings: TokenSettings): TokenResult {
  const started = performance.now();
  const counter = new TokenCounter(settings.model);
  counter.count('warm');
  const loadMs = performance.now() - started;
  const turn = (message: ChatMessage): Turn => ({ message, tokens: counter.countMessage(message) });

  const history: Turn[] = [];
  let tokens = 0;
  for (let i = 0; tokens < settings.historyTokens; i++) {
    const next =
      i % 2 === 0
        ? turn({ role: 'user', content: QUESTIONS[(i / 2) % QUESTIONS.length]! })
        : turn({ role: 'assistant', content: ANSWERS[((i - 1) / 2) % ANSWERS.length]! });
    history.push(next);
    tokens += next.tokens;
  }
  const system = turn({ role: 'system', content: 'You are a helpful assistant in a WeCom chat. Answer briefly.' });
  const question: ChatMessage = { role: 'user', content: QUESTIONS[0]! };
  const answer: ChatMessage = { role: 'assistant', content: ANSWERS[0]! };
  const next = turn(question);
  const fitted = fitHistory(system, history, next, settings.budget);

  return {
    settings,
    historyTurns: history.length,
    historyTokens: tokens,
    dropped: fitted.dropped,
    loadMs,
    questionTokens: next.tokens,
    answerTokens: counter.countMessage(answer),
    countQuestionUs: microsPerOp(() => counter.countMessage(question)),
    countAnswerUs: microsPerOp(() => counter.countMessage(answer)),
    fitHistoryUs: microsPerOp(() => fitHistory(system, history, next, settings.budget)),
    perMessageUs: microsPerOp(() => {
      fitHistory(system, history, turn(question), settings.budget);
      counter.countMessage(answer);
    }),
    recountHistoryUs: microsPerOp(() => history.reduce((sum, past) => sum + counter.countMessage(past.message), 0)),
  };
}

/** Repeats `op` for about `budgetMs` after a warm-up, so fast and slow operations get equally stable figures. */
function microsPerOp(op: () => unknown, budgetMs = 400): number {
  for (let i = 0; i < 50; i++) op();
  let runs = 0;
  const started = performance.now();
  while (performance.now() - started < budgetMs) {
    for (let i = 0; i < 10; i++) op();
    runs += 10;
  }
  return ((performance.now() - started) * 1000) / runs;
}
