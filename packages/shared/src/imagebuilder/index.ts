/**
 * EC2 Image Builder for the NAT AMI: pipeline resolution, idempotent start or attach, the wait loop, failure
 * details, and the build-nat-ami flow that gates on a tested, tagged AMI (see ../ami for the AMI checks).
 */
export * from './states';
export * from './pipeline';
export * from './token';
export * from './wait';
export * from './failure';
export * from './inputs';
export * from './build';
export * from './summary';
export * from './clients';
