import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { catchError, throwError, type Observable } from 'rxjs';

interface StreamedRequest {
  readableEnded: boolean;
  resume(): void;
}

/**
 * For routes that stream their request body: when the handler fails before the body was read to its end (a bad
 * row, a size limit), the rest of the body is read and discarded while the error response goes out, so the
 * client, still sending, receives the error instead of a stalled upload. (Only the owner's key reaches these
 * routes: an unauthenticated body is refused before any of it is read.)
 */
@Injectable()
export class DrainRequestInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    return next.handle().pipe(
      catchError((error: unknown) => {
        const request = http.getRequest<StreamedRequest>();
        if (!request.readableEnded) request.resume();
        return throwError(() => error);
      }),
    );
  }
}
