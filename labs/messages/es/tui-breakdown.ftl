# El panel del desglose por partes (src/tui/ui/dashboard.rs, laboratorio 4.2).

tui-dashboard-breakdown = Desglose por partes (ms por petición; la parte que domina)
tui-dashboard-breakdown-empty = Todavía no hay peticiones en el desglose.
tui-dashboard-breakdown-off = El desglose está apagado: enciende monitoring.breakdown.
