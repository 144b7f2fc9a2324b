package dev.graft.server;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import dev.graft.api.v1.Job;

/** What a failed job's error says, for assertions. */
public final class JobErrors {
  private JobErrors() {}

  /** The reason of the job error's {@code ErrorInfo} detail, or "" when it has none. */
  public static String reason(Job job) throws InvalidProtocolBufferException {
    for (var any : job.getError().getDetailsList()) {
      if (any.is(ErrorInfo.class)) {
        return any.unpack(ErrorInfo.class).getReason();
      }
    }
    return "";
  }
}
