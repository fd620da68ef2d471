/**
 * A real answer of Datadog's GET /api/v1/query (from the datadog-api-client cassettes), cut to its
 * first and last points: query system.cpu.idle{*}, from=1641343852, to=1641430252, 300 s buckets
 * aligned to the bucket size, the last one (1641430200000) still open at `to`.
 */
export const recordedV1Query = {
  from: 1641343852,
  to: 1641430252,
  query: 'system.cpu.idle{*}',
  response: {
    status: 'ok',
    resp_version: 1,
    series: [
      {
        end: 1641430499000,
        attributes: {},
        metric: 'system.cpu.idle',
        interval: 300,
        tag_set: [],
        start: 1641344100000,
        length: 288,
        query_index: 0,
        aggr: null,
        scope: '*',
        pointlist: [
          [1641344100000, 91.4583840476142],
          [1641344400000, 91.5041914039484],
          [1641344700000, 91.5031727472941],
          [1641429600000, 92.26399639354032],
          [1641429900000, 92.05671568477855],
          [1641430200000, 92.57754687873684],
        ],
        expression: 'system.cpu.idle{*}',
        unit: [{ family: 'percentage', scale_factor: 1, name: 'percent', short_name: '%', plural: 'percent', id: 17 }, null],
        display_name: 'system.cpu.idle',
      },
    ],
    to_date: 1641430252000,
    query: 'system.cpu.idle{*}',
    message: '',
    res_type: 'time_series',
    times: [],
    from_date: 1641343852000,
    group_by: [],
    values: [],
  },
};
