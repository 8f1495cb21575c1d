import { planJson, scenarios } from './plans';

/** The example plans shipped in examples/plans (synthetic, Cabalmail addresses). */
export function examplePlans(): Record<string, object> {
  return {
    'gateway-to-instance': planJson(scenarios.gatewayToInstance(2)),
    'instance-to-gateway': planJson(scenarios.instanceToGateway(2)),
    'ami-adoption': planJson(scenarios.amiAdoption(2)),
    'quiesce-down': planJson(scenarios.quiesceDownGateway(2)),
    'eip-destroyed': planJson(scenarios.eipDestroyed()),
    'unrelated-only': planJson(scenarios.unrelatedOnly()),
  };
}
