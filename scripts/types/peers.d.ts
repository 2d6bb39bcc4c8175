/** llm_guardrail ships JavaScript without types; only what scripts/eval-risk.ts calls. */
declare module 'llm_guardrail' {
  export function checkInjection(prompt: string): Promise<{ detected: boolean; confidence: number }>;
}
