// The generated messages, enums and service descriptors (graft.v1 and google.rpc), as they are:
// `import { pb } from "graft-client"` then `pb.Job`, `pb.JobSchema`, `pb.TrainingService`.
export * from "./gen/graft/v1/common_pb.js";
export * from "./gen/graft/v1/datasets_pb.js";
export * from "./gen/graft/v1/inference_pb.js";
export * from "./gen/graft/v1/models_pb.js";
export * from "./gen/graft/v1/server_pb.js";
export * from "./gen/graft/v1/training_pb.js";
export * from "./gen/google/rpc/status_pb.js";
export * from "./gen/google/rpc/error_details_pb.js";
