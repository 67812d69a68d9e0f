import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { UsageDay } from './usage';

/**
 * The bar chart of a key's daily use (recharts: loaded only when a key page opens). It repeats
 * what the summary sentence and the table say, for the eye; screen readers and keyboards get
 * those instead (hence no accessibility layer of its own, and aria-hidden).
 */
export default function UsageChart({ days }: { days: UsageDay[] }) {
  return (
    <div aria-hidden="true" style={{ width: '100%', height: 260 }}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart
          data={days}
          margin={{ top: 8, right: 8, bottom: 8, left: 0 }}
          accessibilityLayer={false}
        >
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="day" tickFormatter={(day: string) => day.slice(5)} minTickGap={16} />
          <YAxis allowDecimals={false} width={40} />
          <Tooltip />
          <Legend />
          {/* drawn at once: no motion to sit through, and a screenshot shows the bars */}
          <Bar
            dataKey="allowed"
            name="Allowed"
            stackId="uses"
            fill="#1864ab"
            isAnimationActive={false}
          />
          <Bar
            dataKey="refused"
            name="Refused"
            stackId="uses"
            fill="#c92a2a"
            isAnimationActive={false}
          />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
