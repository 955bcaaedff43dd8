"""Real-data benchmark of the gating engine against expert gating (issue 15, item 6).

`truth`: the experts' populations as one boolean mask per population over a file's
events; `scoring`: per-event precision, recall and F1; `run`: the engine on each file
(`prepare_events` + `gate_events`, as the per-sample job) and the table rows. The
panels, templates and engine-to-expert mappings are in validation/real-data/<dataset>/.
"""
