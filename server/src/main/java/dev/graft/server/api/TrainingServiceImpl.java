package dev.graft.server.api;

import dev.graft.api.v1.CancelJobRequest;
import dev.graft.api.v1.DataSource;
import dev.graft.api.v1.EstimateTransferRequest;
import dev.graft.api.v1.EstimateTransferResponse;
import dev.graft.api.v1.GetJobRequest;
import dev.graft.api.v1.Job;
import dev.graft.api.v1.JobEvent;
import dev.graft.api.v1.JobView;
import dev.graft.api.v1.ListJobsRequest;
import dev.graft.api.v1.ListJobsResponse;
import dev.graft.api.v1.TrainRequest;
import dev.graft.api.v1.TrainingServiceGrpc;
import dev.graft.api.v1.WatchJobRequest;
import dev.graft.server.core.estimate.TransferEstimator;
import dev.graft.server.core.jobs.JobManager;
import dev.graft.server.core.jobs.TrainCommand;
import dev.graft.server.core.store.JobRecord;
import dev.graft.server.security.Principal;
import dev.graft.spi.GraftException;
import dev.graft.spi.Hyperparameters;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import javax.inject.Inject;

/** TrainingService: jobs as resources, progress as a flow-controlled stream. */
public final class TrainingServiceImpl extends TrainingServiceGrpc.TrainingServiceImplBase {
  private final JobManager jobs;
  private final ResourceMapper resources;
  private final Calls calls;
  private final TransferEstimator estimator;

  @Inject
  public TrainingServiceImpl(JobManager jobs, ResourceMapper resources, Calls calls, TransferEstimator estimator) {
    this.jobs = jobs;
    this.resources = resources;
    this.calls = calls;
    this.estimator = estimator;
  }

  @Override
  public void train(TrainRequest request, StreamObserver<Job> observer) {
    calls.unary(observer, () -> resources.job(jobs.submit(command(request, CallPrincipal.current()))));
  }

  /** Ranks base models for the data; stops between batches when the call is cancelled or its deadline passes. */
  @Override
  public void estimateTransfer(EstimateTransferRequest request, StreamObserver<EstimateTransferResponse> observer) {
    io.grpc.Context call = io.grpc.Context.current();
    calls.unary(observer, () -> TransferEstimates.response(
        estimator.estimate(TransferEstimates.command(request, CallPrincipal.current()), call::isCancelled)));
  }

  @Override
  public void getJob(GetJobRequest request, StreamObserver<Job> observer) {
    calls.unary(observer, () -> resources.job(jobs.get(requireId(request.getId()))));
  }

  @Override
  public void listJobs(ListJobsRequest request, StreamObserver<ListJobsResponse> observer) {
    calls.unary(observer, () -> {
      var all = Pages.filter(jobs.list(), request.getFilter(), Map.<String, Function<JobRecord, String>>of(
          "state", j -> j.state().name(),
          "output_model", JobRecord::outputModel,
          "base_model", JobRecord::baseModel,
          "strategy", JobRecord::strategy));
      var page = Pages.page(all, request.getPageSize(), request.getPageToken());
      return ListJobsResponse.newBuilder()
          .addAllJobs(page.items().stream().map(resources::job)
              .map(j -> request.getView() == JobView.JOB_VIEW_FULL ? j : basic(j)).toList())
          .setNextPageToken(page.nextToken())
          .build();
    });
  }

  /** The job without its per-epoch history. */
  private static Job basic(Job job) {
    return job.toBuilder().clearHistory().build();
  }

  @Override
  public void cancelJob(CancelJobRequest request, StreamObserver<Job> observer) {
    calls.unary(observer, () -> {
      String id = requireId(request.getId());
      Principal caller = CallPrincipal.current();
      JobRecord job = jobs.get(id);
      if (!caller.canModify(job.createdBy())) {
        throw GraftException.permissionDenied("NOT_OWNER",
            "job " + id + " belongs to another principal; principal '" + caller.name() + "' may not cancel it");
      }
      return resources.job(jobs.cancel(id));
    });
  }

  @Override
  public void watchJob(WatchJobRequest request, StreamObserver<JobEvent> observer) {
    try {
      String id = requireId(request.getId());
      jobs.get(id); // NOT_FOUND before the stream starts
      JobEventStream stream = new JobEventStream((ServerCallStreamObserver<JobEvent>) observer, resources::job);
      stream.subscribed(jobs.watch(id, stream::offer));
    } catch (RuntimeException e) {
      observer.onError(calls.statuses().toStatusException(e));
    }
  }

  private static String requireId(String id) {
    if (id.isBlank()) {
      throw GraftException.invalidArgument("id", "MISSING_FIELD", "id is required");
    }
    return id;
  }

  private static TrainCommand command(TrainRequest r, Principal principal) {
    if (!r.hasTrain()) {
      throw GraftException.invalidArgument("train", "MISSING_FIELD", "train is required: a dataset or examples");
    }
    var h = r.getHyperparameters();
    return new TrainCommand(r.getBaseModel(), r.getStrategy(), r.getOutputModel(),
        ResourceMapper.task(r.getTask(), "task"),
        data(r.getTrain(), "train"),
        r.hasValidation() ? Optional.of(data(r.getValidation(), "validation")) : Optional.empty(),
        r.getValidationSplit(),
        new Hyperparameters(h.getEpochs(), h.getBatchSize(), h.getLearningRate(), h.getWeightDecay(),
            h.getEarlyStoppingPatience(), h.getSeed(), h.getExtraMap()),
        r.getDevicePool(), r.getPriority(), r.getLabelsMap(), principal);
  }

  static TrainCommand.DataRef data(DataSource source, String field) {
    return switch (source.getSourceCase()) {
      case DATASET -> new TrainCommand.DataRef.Dataset(source.getDataset());
      case EXAMPLES -> new TrainCommand.DataRef.Inline(
          InputMapper.examples(source.getExamples().getExamplesList(), field + ".examples"));
      case SOURCE_NOT_SET -> throw GraftException.invalidArgument(field, "MISSING_FIELD",
          field + " must name a dataset or carry examples");
    };
  }
}
