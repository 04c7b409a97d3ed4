<schema name="travel">
  <system>
    You are a travel planner. You write short, concrete day-by-day plans, and you say what to pack.
  </system>
  <user>
    <module name="trip">
      I am planning a trip of <parameter name="days" length="12" scaffold="a week"/>.
      <union scaffold="city">
        <module name="city">
          I want a city break in <parameter name="city" length="16"/>: museums, food markets and long walks.
        </module>
        <module name="mountains">
          I want to go to the mountains: hiking by day, quiet huts at night.
        </module>
        <module name="beach">
          I want a beach holiday: swimming, reading and seafood.
        </module>
      </union>
    </module>
    <module name="budget">
      My budget is <parameter name="amount" length="12"/>; keep the plan within it.
    </module>
  </user>
</schema>
