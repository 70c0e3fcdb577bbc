/** After each customer message WeCom takes at most 5 messages to that customer, within 48 hours (https://developer.work.weixin.qq.com/document/path/94677). */
export const SENDS_PER_CUSTOMER_MESSAGE = 5;
export const SEND_WINDOW_MS = 48 * 60 * 60 * 1000;

/**
 * What is left of each customer's send budget: 5 sends after their latest message, for 48 hours.
 * The budget starts again with every customer message pulled (news from the puller, which reads
 * them before their answers are made), so an answer to an older message spends what the newest
 * one granted, as WeCom counts it. After a restart a customer's budget starts from the message
 * being answered; WeCom's own refusal (95001) catches what this cannot know.
 */
export class KfSendBudget {
  private readonly customers = new Map<string, { lastMsgid: string; at: number; used: number }>();

  constructor(
    private readonly maxCustomers = 50_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** A customer message (send_time in ms). */
  wrote(customer: string, msgid: string, atMs: number): void {
    const known = this.customers.get(customer);
    if (known && (known.lastMsgid === msgid || known.at > atMs)) return;
    this.customers.delete(customer);
    this.customers.set(customer, { lastMsgid: msgid, at: atMs, used: 0 });
    if (this.customers.size > this.maxCustomers) this.customers.delete(this.customers.keys().next().value as string);
  }

  /** Takes one send; why not when it cannot go. `answering` stands in for a customer not heard of since the start. */
  take(customer: string, answering: { msgid: string; atMs: number }): 'ok' | 'used up' | 'window closed' {
    if (!this.customers.has(customer)) this.wrote(customer, answering.msgid, answering.atMs);
    const budget = this.customers.get(customer)!;
    if (this.now() - budget.at > SEND_WINDOW_MS) return 'window closed';
    if (budget.used >= SENDS_PER_CUSTOMER_MESSAGE) return 'used up';
    budget.used += 1;
    return 'ok';
  }

  /** A send taken that did not go out. */
  giveBack(customer: string): void {
    const budget = this.customers.get(customer);
    if (budget && budget.used > 0) budget.used -= 1;
  }
}
