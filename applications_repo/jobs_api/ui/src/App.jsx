import { useCallback, useEffect, useRef, useState } from "react";
import {
  cancelJob,
  createUpload,
  downloadOf,
  listJobs,
  postFile,
  retryJob,
  triggerJob,
} from "./api.js";

const STATUSES = ["UPLOADING", "UPLOADED", "PENDING", "RUNNING", "SUCCEEDED", "FAILED", "REJECTED", "CANCELLED"];
const MOVING = new Set(["UPLOADING", "PENDING", "RUNNING"]);
const CANCELLABLE = new Set(["UPLOADING", "UPLOADED", "PENDING"]);
const RETRYABLE = new Set(["FAILED", "CANCELLED"]);
const FIRST_POLL_MS = 1000;
const LONGEST_POLL_MS = 15000;

function Upload({ onUploaded, onError }) {
  const [file, setFile] = useState(null);
  const [progress, setProgress] = useState(null);
  const input = useRef(null);

  async function upload(event) {
    event.preventDefault();
    if (!file) return;
    try {
      setProgress(0);
      const ticket = await createUpload(file);
      await postFile(ticket.upload, file, setProgress);
      setProgress(1);
      onUploaded(ticket.jobId);
      setFile(null);
      input.current.value = "";
    } catch (error) {
      onError(error.message);
    } finally {
      setProgress(null);
    }
  }

  return (
    <form className="upload" onSubmit={upload}>
      <label>
        Parquet file
        <input
          ref={input}
          data-testid="file"
          type="file"
          accept=".parquet,.parq,.pq"
          onChange={(event) => setFile(event.target.files[0] || null)}
        />
      </label>
      <button data-testid="upload" type="submit" disabled={!file || progress !== null}>
        Upload
      </button>
      {progress !== null && (
        <progress data-testid="progress" max="1" value={progress} aria-label="upload progress" />
      )}
    </form>
  );
}

function JobRow({ job, onAction, onError }) {
  const [link, setLink] = useState(null);

  async function act(action) {
    try {
      await action(job.jobId);
      onAction();
    } catch (error) {
      onError(error.message);
    }
  }

  async function download() {
    try {
      const answer = await downloadOf(job.jobId);
      setLink(answer);
    } catch (error) {
      onError(error.message);
    }
  }

  return (
    <tr data-testid="job" data-job={job.jobId} data-status={job.status}>
      <td>{job.filename}</td>
      <td>
        <span className={`status status-${job.status.toLowerCase()}`} data-testid="status">
          {job.status}
        </span>
        {job.waiting && job.status === "PENDING" && <div className="note">{job.waiting}</div>}
        {job.error && (
          <div className="error-text" data-testid="job-error">
            {job.error}
          </div>
        )}
      </td>
      <td>{job.records ?? ""}</td>
      <td>{new Date(job.createdAt).toLocaleString()}</td>
      <td className="actions">
        {job.status === "UPLOADED" && (
          <button data-testid="convert" onClick={() => act(triggerJob)}>
            Convert
          </button>
        )}
        {CANCELLABLE.has(job.status) && (
          <button data-testid="cancel" onClick={() => act(cancelJob)}>
            Cancel
          </button>
        )}
        {RETRYABLE.has(job.status) && job.sizeBytes && (
          <button data-testid="retry" onClick={() => act(retryJob)}>
            Retry
          </button>
        )}
        {job.status === "SUCCEEDED" &&
          (link ? (
            <a data-testid="download" href={link.url} download={link.filename}>
              Download {link.filename}
            </a>
          ) : (
            <button data-testid="get-link" onClick={download}>
              Get download link
            </button>
          ))}
      </td>
    </tr>
  );
}

export default function App() {
  const [status, setStatus] = useState("");
  const [jobs, setJobs] = useState([]);
  const [next, setNext] = useState(null);
  const [error, setError] = useState(null);
  const delay = useRef(FIRST_POLL_MS);
  const timer = useRef(null);

  const refresh = useCallback(async () => {
    try {
      const page = await listJobs(status);
      setJobs(page.jobs);
      setNext(page.next);
      return page.jobs;
    } catch (failure) {
      setError(failure.message);
      return [];
    }
  }, [status]);

  // Polls while a job is moving, backing off from 1 to 15 seconds; any action starts over.
  const poll = useCallback(async () => {
    clearTimeout(timer.current);
    const current = await refresh();
    if (current.some((job) => MOVING.has(job.status))) {
      timer.current = setTimeout(poll, delay.current);
      delay.current = Math.min(delay.current * 2, LONGEST_POLL_MS);
    }
  }, [refresh]);

  const restart = useCallback(() => {
    delay.current = FIRST_POLL_MS;
    setError(null);
    poll();
  }, [poll]);

  useEffect(() => {
    restart();
    return () => clearTimeout(timer.current);
  }, [restart]);

  async function more() {
    try {
      const page = await listJobs(status, next);
      setJobs((shown) => [...shown, ...page.jobs]);
      setNext(page.next);
    } catch (failure) {
      setError(failure.message);
    }
  }

  return (
    <main>
      <h1>Parquet to JSON</h1>
      <p className="lead">Upload a Parquet file, convert it to JSON Lines, download the JSON.</p>
      <Upload onUploaded={restart} onError={setError} />
      {error && (
        <div className="alert" role="alert" data-testid="error">
          {error}
          <button className="dismiss" onClick={() => setError(null)} aria-label="dismiss">
            ×
          </button>
        </div>
      )}
      <div className="toolbar">
        <label>
          Status
          <select data-testid="filter" value={status} onChange={(event) => setStatus(event.target.value)}>
            <option value="">all</option>
            {STATUSES.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </label>
        <button data-testid="refresh" onClick={restart}>
          Refresh
        </button>
      </div>
      <table>
        <thead>
          <tr>
            <th>File</th>
            <th>Status</th>
            <th>Rows</th>
            <th>Created</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => (
            <JobRow key={job.jobId} job={job} onAction={restart} onError={setError} />
          ))}
        </tbody>
      </table>
      {jobs.length === 0 && <p className="empty">No jobs{status ? ` ${status}` : ""} yet.</p>}
      {next && (
        <button data-testid="more" onClick={more}>
          More
        </button>
      )}
    </main>
  );
}
