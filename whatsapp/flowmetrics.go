package whatsapp

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Flow endpoint metrics Meta keeps for flows with a data-exchange endpoint.
const (
	FlowMetricRequestCount     = "ENDPOINT_REQUEST_COUNT"
	FlowMetricRequestError     = "ENDPOINT_REQUEST_ERROR"
	FlowMetricRequestErrorRate = "ENDPOINT_REQUEST_ERROR_RATE"
	FlowMetricLatency          = "ENDPOINT_REQUEST_LATENCY_SECONDS_CEIL"
	FlowMetricAvailability     = "ENDPOINT_AVAILABILITY"
)

// FlowMetricPoint is one bucket of a flow endpoint metric: the values by
// key (e.g. "value", or error types, or latency percentiles "p50", "p90").
type FlowMetricPoint struct {
	Time   time.Time
	Values map[string]float64
}

// Metrics reads one health metric of a flow's endpoint, by day, hour or
// over its lifetime ("DAY", "HOUR", "LIFETIME"), for the days of r.
func (s *FlowsService) Metrics(ctx context.Context, flowID, metric, granularity string, r TimeRange) ([]FlowMetricPoint, error) {
	if err := firstErr(pathID("flow_id", flowID), r.validate()); err != nil {
		return nil, fmt.Errorf("whatsapp: flow metrics: %w", err)
	}
	switch metric {
	case FlowMetricRequestCount, FlowMetricRequestError, FlowMetricRequestErrorRate, FlowMetricLatency, FlowMetricAvailability:
	default:
		return nil, fmt.Errorf("whatsapp: flow metrics: %w", fieldErr("metric", "%q is not a flow endpoint metric", metric))
	}
	switch granularity {
	case "DAY", "HOUR", "LIFETIME":
	default:
		return nil, fmt.Errorf("whatsapp: flow metrics: %w", fieldErr("granularity", "%q is not DAY, HOUR or LIFETIME", granularity))
	}
	field := "metric.name(" + metric + ").granularity(" + granularity + ").since(" + r.Start.UTC().Format(time.DateOnly) +
		").until(" + r.End.UTC().Format(time.DateOnly) + ")"
	var out struct {
		Metric struct {
			DataPoints []struct {
				Timestamp string `json:"timestamp"`
				Data      []struct {
					Key   string  `json:"key"`
					Value float64 `json:"value"`
				} `json:"data"`
			} `json:"data_points"`
		} `json:"metric"`
	}
	if err := call(ctx, s.c, http.MethodGet, url.PathEscape(flowID)+"?"+url.Values{"fields": {field}}.Encode(), nil, &out); err != nil {
		return nil, fmt.Errorf("whatsapp: flow metrics: %w", err)
	}
	pts := make([]FlowMetricPoint, 0, len(out.Metric.DataPoints))
	for _, dp := range out.Metric.DataPoints {
		p := FlowMetricPoint{Values: map[string]float64{}}
		for _, layout := range []string{"2006-01-02T15:04:05-0700", time.RFC3339} {
			if t, err := time.Parse(layout, dp.Timestamp); err == nil {
				p.Time = t
				break
			}
		}
		for _, d := range dp.Data {
			p.Values[d.Key] = d.Value
		}
		pts = append(pts, p)
	}
	return pts, nil
}
