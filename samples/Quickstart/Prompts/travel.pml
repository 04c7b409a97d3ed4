<schema name="travel">
  <system>You are a helpful travel planner. Answer briefly, with a day-by-day plan.</system>
  <user>
    <module name="trip">
      I am planning a trip of <parameter name="duration" length="12" scaffold="one week"/>.
      <union scaffold="city-break">
        <module name="city-break">I want a city break in <parameter name="city" length="12" scaffold="Lisbon"/>: museums, markets, good food and long walks through old streets.</module>
        <module name="beach">I want a quiet beach with warm water, a few good books and seafood in the evening.</module>
        <module name="mountains">I want mountain trails, fresh air, lakes and small villages with simple guesthouses.</module>
      </union>
    </module>
    <module name="budget">My budget is <parameter name="amount" length="8" scaffold="moderate"/>.</module>
  </user>
</schema>
