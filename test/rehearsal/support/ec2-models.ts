/**
 * The EC2 behaviours moto lacks, composed into the proxy (each in its own file under models/), and the data-plane
 * model (dataplane.ts). Order matters for `handle` (first answer wins): the failed-gateway model owns its own
 * gateways' calls, then the ReplaceRoute and security-group checks; `rewrite`s run in the same order.
 */
import { DataPlane } from './dataplane';
import { NatCreateFailedModel } from './models/nat-create-failed';
import { ReplaceRouteModel } from './models/replace-route';
import { RouteStateModel } from './models/route-state';
import { SecurityGroupInUseModel } from './models/sg-in-use';
import type { FaultProxy } from './proxy';

export interface Ec2Models {
  failedGateways: NatCreateFailedModel;
  routeState: RouteStateModel;
  replaceRoute: ReplaceRouteModel;
  securityGroups: SecurityGroupInUseModel;
  dataplane: DataPlane;
}

export function composeModels(proxy: FaultProxy): Ec2Models {
  const failedGateways = new NatCreateFailedModel();
  const extra = (region: string, id: string) => {
    const g = failedGateways.gateways.get(id);
    return g && g.region === region ? g.state : undefined;
  };
  const models: Ec2Models = {
    failedGateways,
    routeState: new RouteStateModel(extra),
    replaceRoute: new ReplaceRouteModel(extra),
    securityGroups: new SecurityGroupInUseModel(),
    dataplane: new DataPlane(proxy.context),
  };
  proxy
    .use(models.failedGateways)
    .use(models.replaceRoute)
    .use(models.securityGroups)
    .use(models.routeState)
    .use(models.dataplane);
  return models;
}
