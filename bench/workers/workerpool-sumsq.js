// workerpool's worker script: registers the job under a name.
import workerpool from "workerpool";
import { sumSquares } from "./sumsq.js";

workerpool.worker({ sumSquares });
